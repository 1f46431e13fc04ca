"""Times stored out of range before they were checked are repaired without losing what people wrote: by the
migration repair_times_out_of_range in a database, and the same way by the archive restore."""

import importlib
import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

import postmortems.migrations
from knowledge import archive
from postmortems import services
from postmortems.models import PostMortem, Profile, Template, TimelineEvent, incident_time_bounds
from tests.knowledge.test_archive import wipe
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
EARLIEST = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
MARCH = datetime(2024, 3, 1, 14, 0, tzinfo=UTC)


def migration(name: str):
    """Return the module of the postmortems migration called `name`, whatever its number."""
    [path] = Path(postmortems.migrations.__file__).parent.glob(f"[0-9][0-9][0-9][0-9]_{name}.py")
    return importlib.import_module(f"postmortems.migrations.{path.stem}")


repair = migration("repair_times_out_of_range").repair_times_out_of_range


@pytest.fixture
def stored(author):
    """A post-mortem with times stored out of range (written past the checks) and one without."""
    template = Template.objects.get(slug="lightweight")
    odd = services.postmortem_create(user=author, template=template, title="Checkout timeouts", severity="sev2",
                                     started_at=MARCH)
    fine = services.postmortem_create(user=author, template=template, title="Queue backlog", severity="sev3",
                                      started_at=MARCH)
    PostMortem.objects.filter(pk=odd.pk).update(started_at=LATEST, detected_at=EARLIEST,
                                                mitigated_at=MARCH + timedelta(minutes=30))
    PostMortem.objects.filter(pk=fine.pk).update(resolved_at=MARCH + timedelta(hours=1))
    events = {}
    for when, text in ((LATEST, "Rolled back the release"), (EARLIEST, "Pager fired"),
                       (datetime(1969, 12, 31, 23, 59, tzinfo=UTC), "Escalated to payments"),
                       (MARCH, "Latency alert fired")):
        event = TimelineEvent.objects.create(postmortem=odd, occurred_at=MARCH, kind="action", description=text)
        TimelineEvent.objects.filter(pk=event.pk).update(occurred_at=when)
        events[text] = event.pk
    TimelineEvent.objects.create(postmortem=fine, occurred_at=MARCH, description="Consumers stalled")
    return odd, fine, events


def event(pk):
    return TimelineEvent.objects.get(pk=pk)


def test_incident_times_out_of_range_are_emptied_and_the_others_kept(stored):
    odd, fine, _ = stored
    repair(apps, None, now=NOW)
    odd.refresh_from_db()
    assert (odd.started_at, odd.detected_at, odd.mitigated_at, odd.resolved_at) == (
        None, None, MARCH + timedelta(minutes=30), None)
    fine.refresh_from_db()
    assert (fine.started_at, fine.resolved_at) == (MARCH, MARCH + timedelta(hours=1))


def test_timeline_events_out_of_range_move_to_the_nearest_bound_with_a_note(stored):
    _, fine, events = stored
    repair(apps, None, now=NOW)
    late, early, eve = event(events["Rolled back the release"]), event(events["Pager fired"]), event(
        events["Escalated to payments"])
    assert late.occurred_at == NOW + timedelta(days=365)
    assert late.description == ("(The time recorded for this event, 9999-12-31 23:59 UTC, was out of range.) "
                                "Rolled back the release")
    assert early.occurred_at == eve.occurred_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert early.description == ("(The time recorded for this event, 0001-01-01 00:00 UTC, was out of range.) "
                                 "Pager fired")
    assert eve.description.startswith("(The time recorded for this event, 1969-12-31 23:59 UTC, was out of range.) ")
    assert (event(events["Latency alert fired"]).occurred_at, event(events["Latency alert fired"]).description) == (
        MARCH, "Latency alert fired")
    assert list(fine.timeline_events.values_list("occurred_at", "description")) == [(MARCH, "Consumers stalled")]
    for pk in events.values():
        event(pk).full_clean()  # every event now passes the model's checks


def test_the_repair_names_what_it_changed_and_a_second_run_changes_nothing(stored, capsys):
    odd, _, events = stored
    lines = repair(apps, None, now=NOW)
    assert lines == [
        f"post-mortem {odd.slug}: incident started 9999-12-31 23:59 UTC was out of range; emptied",
        f"post-mortem {odd.slug}: detected 0001-01-01 00:00 UTC was out of range; emptied",
        f"post-mortem {odd.slug}: timeline event at 9999-12-31 23:59 UTC was out of range; "
        "moved to 2027-05-04 12:30 UTC, with a note in its description",
        f"post-mortem {odd.slug}: timeline event at 0001-01-01 00:00 UTC was out of range; "
        "moved to 1970-01-01 00:00 UTC, with a note in its description",
        f"post-mortem {odd.slug}: timeline event at 1969-12-31 23:59 UTC was out of range; "
        "moved to 1970-01-01 00:00 UTC, with a note in its description",
    ]
    assert "rebuild_search_index" in capsys.readouterr().out
    descriptions = sorted(TimelineEvent.objects.values_list("description", flat=True))
    assert repair(apps, None, now=NOW) == []
    assert sorted(TimelineEvent.objects.values_list("description", flat=True)) == descriptions


def test_the_bounds_themselves_stay(stored):
    odd, _, events = stored
    earliest, latest = incident_time_bounds(NOW)
    PostMortem.objects.filter(pk=odd.pk).update(started_at=earliest, resolved_at=latest)
    assert repair(apps, None, now=NOW)[0].startswith(f"post-mortem {odd.slug}: detected")
    odd.refresh_from_db()
    assert (odd.started_at, odd.resolved_at) == (earliest, latest)


def test_the_model_methods_repair_the_same_way_as_the_migration(stored):
    odd, _, events = stored
    in_memory = PostMortem.objects.get(pk=odd.pk)
    emptied = in_memory.clear_times_out_of_range(NOW)
    moved = [event(pk) for pk in events.values()]
    for one in moved:
        one.move_into_range(NOW)
    repair(apps, None, now=NOW)
    odd.refresh_from_db()
    assert set(emptied) == {"started_at", "detected_at"}
    assert [getattr(in_memory, f) for f in ("started_at", "detected_at", "mitigated_at", "resolved_at")] == [
        getattr(odd, f) for f in ("started_at", "detected_at", "mitigated_at", "resolved_at")]
    assert [(e.occurred_at, e.description) for e in moved] == [
        (event(pk).occurred_at, event(pk).description) for pk in events.values()]


def test_after_the_repair_the_pages_answer_and_the_editor_asks_for_a_start(client, stored, author):
    odd, _, _ = stored
    repair(apps, None, now=NOW)
    call_command("rerender_markdown", stdout=StringIO())  # a later migration renders what the repair wrote
    Profile.objects.update_or_create(user=author, defaults={"time_zone": "Pacific/Auckland"})
    client.force_login(author)
    html = client.get(f"/postmortems/{odd.slug}/").content.decode()
    assert "was out of range.) Rolled back the release" in html
    odd.refresh_from_db()
    response = client.post(f"/postmortems/{odd.slug}/edit/", editor_data(odd, summary="Kept."))
    assert response.status_code == 400  # refused: shown again with everything kept
    assert response.context["form"].errors["started_at"] == ["This field is required."]


# ---- the archive restore --------------------------------------------------------------------------


def test_a_restore_repairs_the_same_way_and_says_what_it_repaired(stored):
    odd, fine, events = stored
    data = json.loads(json.dumps(archive.build_archive()))
    wipe()
    report = archive.restore_archive(data)
    assert report.counts["post-mortems"] == 2
    assert [w for w in report.warnings if "out of range" in w] == [
        f"post-mortem {odd.slug}: incident started 9999-12-31 23:59 UTC was out of range; left empty "
        "(the editor asks for it again)",
        f"post-mortem {odd.slug}: detected 0001-01-01 00:00 UTC was out of range; left empty "
        "(the editor asks for it again)",
        *[w for w in report.warnings if "timeline event at" in w],
    ]
    assert len([w for w in report.warnings if "timeline event at" in w]) == 3
    restored = PostMortem.objects.get(slug=odd.slug)
    assert (restored.started_at, restored.detected_at, restored.mitigated_at) == (
        None, None, MARCH + timedelta(minutes=30))
    late = event(events["Rolled back the release"])
    assert late.description == ("(The time recorded for this event, 9999-12-31 23:59 UTC, was out of range.) "
                                "Rolled back the release")
    assert abs(late.occurred_at - incident_time_bounds()[1]) < timedelta(minutes=5)
    assert event(events["Pager fired"]).occurred_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert PostMortem.objects.get(slug=fine.slug).started_at == MARCH
    restored.full_clean()


def test_a_restore_of_times_in_range_warns_of_nothing(stored):
    repair(apps, None, now=datetime.now(UTC))
    data = archive.build_archive()
    wipe()
    assert archive.restore_archive(data).warnings == []


def test_the_import_command_prints_the_repairs(stored, tmp_path):
    path = tmp_path / "backup.json"
    call_command("export_archive", str(path), stdout=StringIO())
    wipe()
    out = StringIO()
    call_command("import_archive", str(path), stdout=out)
    odd, _, _ = stored
    assert f"warning: post-mortem {odd.slug}: incident started 9999-12-31 23:59 UTC was out of range" in (
        out.getvalue())
    assert "Restored" in out.getvalue()


def test_an_archive_with_a_date_no_calendar_holds_is_refused_with_a_message(stored, tmp_path):
    data = archive.build_archive()
    data["postmortems"][0]["started_at"] = "10000-01-01T00:00:00+00:00"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    wipe()
    with pytest.raises(CommandError, match="holds a value Hindsight cannot read"):
        call_command("import_archive", str(path), stdout=StringIO())
    assert not PostMortem.objects.exists()


def test_an_archive_time_out_of_range_with_an_offset_is_repaired(stored):
    data = archive.build_archive()
    data["postmortems"][1]["timeline"][0]["occurred_at"] = "0001-01-01T05:00:00+13:00"  # before year 1 in UTC
    wipe()
    report = archive.restore_archive(data)
    assert "timeline event at 0001-01-01 05:00+13:00 was out of range" in " ".join(report.warnings)
    moved = TimelineEvent.objects.get(description__endswith="Consumers stalled")
    assert moved.occurred_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert moved.description.startswith("(The time recorded for this event, 0001-01-01 05:00+13:00, was out")
