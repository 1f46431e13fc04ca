"""Repair incident times and timeline events stored out of range before 0008 checked them.

Such a time (year 1, year 9999) broke every page showing it to someone in a time zone where the
calendar cannot hold it. Incident times outside 1 January 1970 … a year from now are emptied (the
editor asks for a start time again); timeline events are moved to the nearest bound, and their
description starts with a note of the time recorded, so nothing people wrote is lost. What was
repaired is printed; the search index keeps the old year of a post-mortem whose start was emptied
until `manage.py rebuild_search_index` (or its next save).

The bounds and the note are copied here rather than imported, so this migration does what it did
whatever later becomes of the app's code; PostMortem.clear_times_out_of_range and
TimelineEvent.move_into_range do the same for the archive restore.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=365)
FIELDS = {"started_at": "incident started", "detected_at": "detected", "mitigated_at": "mitigated",
          "resolved_at": "resolved"}


def _utc_text(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value.year:04d}-{value:%m-%d %H:%M} UTC"


def repair_times_out_of_range(apps, schema_editor, now: datetime | None = None) -> list[str]:
    """Empty incident times and move timeline events outside 1970 … a year from `now`; return (and print)
    one line per repair."""
    PostMortem = apps.get_model("postmortems", "PostMortem")
    TimelineEvent = apps.get_model("postmortems", "TimelineEvent")
    earliest, latest = EARLIEST, (now or timezone.now()) + AHEAD
    repaired = []
    for name, label in FIELDS.items():
        outside = PostMortem.objects.filter(Q(**{f"{name}__lt": earliest}) | Q(**{f"{name}__gt": latest}))
        for slug, value in outside.order_by("pk").values_list("slug", name):
            repaired.append(f"post-mortem {slug}: {label} {_utc_text(value)} was out of range; emptied")
        outside.update(**{name: None})
    events = TimelineEvent.objects.filter(Q(occurred_at__lt=earliest) | Q(occurred_at__gt=latest))
    for event in events.select_related("postmortem").order_by("pk"):
        moved_to = earliest if event.occurred_at < earliest else latest
        note = f"(The time recorded for this event, {_utc_text(event.occurred_at)}, was out of range.) "
        TimelineEvent.objects.filter(pk=event.pk).update(occurred_at=moved_to, description=note + event.description)
        repaired.append(f"post-mortem {event.postmortem.slug}: timeline event at {_utc_text(event.occurred_at)} "
                        f"was out of range; moved to {_utc_text(moved_to)}, with a note in its description")
    if repaired:
        print("\n  " + "\n  ".join(repaired))
        print("  Run `manage.py rebuild_search_index` so search files these post-mortems under their new dates.")
    return repaired


class Migration(migrations.Migration):

    dependencies = [
        ("postmortems", "0011_markdown_fields_limit_length_and_nesting"),
    ]

    operations = [
        migrations.RunPython(repair_times_out_of_range, migrations.RunPython.noop),
    ]
