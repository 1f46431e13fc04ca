"""Demo content: the post-mortem archive of Larkspur, a fictional online grocer.

The texts live in postmortems/demo_data/, one module per incident. Dates are relative to the day
the demo is loaded, so the archive always looks lived in: incidents spread over the last eighteen
months, action items done, in progress and overdue. Loading is idempotent, keyed on slugs: a
post-mortem, link or reading list that already exists is left exactly as it is.
"""

import inspect
import re
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from postmortems.demo_data import POSTMORTEMS, READING_LISTS, RELATED_LINKS
from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Revision,
    Status,
    Team,
    Template,
    TimelineEvent,
)
from postmortems.services import postmortem_add_template_sections, postmortem_record_change

_BLOCK_START = re.compile(r"^(?:[-*+] |\d+\. |#|\||>)")
_WHEN = re.compile(r"^(?:(?P<days>[+-]\d+) )?(?P<hour>\d{1,2}):(?P<minute>\d{2})$")


class DemoDataError(Exception):
    """The demo data refers to something that does not exist (a user, team, heading or category)."""


def at(day: date, spec: str) -> datetime:
    """Return the UTC time `spec` ("14:05", "+1 02:10", "-3 16:00") on or around `day`."""
    match = _WHEN.match(spec)
    if not match:
        raise DemoDataError(f"Cannot read the time {spec!r}: use 'HH:MM' or '+N HH:MM'.")
    shifted = day + timedelta(days=int(match["days"] or 0))
    return datetime.combine(shifted, time(int(match["hour"]), int(match["minute"])), tzinfo=UTC)


def text(value: str) -> str:
    """Return a demo text as a writer types it: no source indentation, one line per paragraph or list item.

    The data modules wrap lines for reading; the renderer keeps single newlines as line breaks, so
    wrapped lines are joined back onto the line they continue.
    """
    lines = []
    for line in inspect.cleandoc(value).splitlines():
        stripped = line.strip()
        if lines and lines[-1] and stripped and not _BLOCK_START.match(stripped):
            lines[-1] = f"{lines[-1]} {stripped}"
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


@transaction.atomic
def load_demo_postmortems(*, now: datetime | None = None) -> int:
    """Create the demo post-mortems, related links and reading lists that do not exist yet.

    Return how many post-mortems were created. Needs the demo users and teams that
    `manage.py load_demo` creates first.
    """
    now = now or timezone.now()
    context = _Context.load()
    existing = set(PostMortem.objects.filter(slug__in=[d["slug"] for d in POSTMORTEMS]).values_list("slug", flat=True))
    created = 0
    for data in sorted(POSTMORTEMS, key=lambda d: -d["days_ago"]):
        if data["slug"] in existing:
            continue
        _create_postmortem(data, context=context, now=now)
        created += 1
    _create_related_links(context)
    _create_reading_lists(context, now=now)
    return created


class _Context:
    def __init__(self, users, teams, templates, categories):
        self.users = users
        self.teams = teams
        self.templates = templates
        self.categories = categories

    @classmethod
    def load(cls):
        usernames = {"author", "author2", "facilitator", "reader"}
        users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        teams = {t.slug: t for t in Team.objects.all()}
        templates = {t.slug: t for t in Template.objects.prefetch_related("sections")}
        categories = {c.slug: c for c in FactorCategory.objects.all()}
        missing = usernames - set(users)
        if missing:
            raise DemoDataError(f"Demo users missing ({', '.join(sorted(missing))}): run manage.py load_demo.")
        return cls(users, teams, templates, categories)

    def user(self, username):
        return self.users[username]

    def lookup(self, kind, table, key):
        try:
            return table[key]
        except KeyError:
            raise DemoDataError(f"Unknown {kind} {key!r} in the demo data.") from None


def _create_postmortem(data: dict, *, context: _Context, now: datetime) -> PostMortem:
    day = (now - timedelta(days=data["days_ago"])).date()
    times = {name: at(day, data[name]) if data.get(name) else None
             for name in ("started", "detected", "mitigated", "resolved")}
    written_at = min(at(day, data.get("written", "+2 10:30")), now - timedelta(hours=1))
    status = data["status"]
    status_changed_at = written_at
    published_at = None
    if status == Status.PUBLISHED:
        published_at = min(at(day, data["published"]), now - timedelta(minutes=30))
        status_changed_at = published_at
    elif status == Status.IN_REVIEW:
        status_changed_at = min(at(day, data["submitted"]), now - timedelta(minutes=30))

    template = context.lookup("template", context.templates, data["template"])
    postmortem = PostMortem.objects.create(
        title=data["title"],
        slug=data["slug"],
        summary=text(data["summary"]),
        severity=data["severity"],
        status=status,
        status_changed_at=status_changed_at,
        started_at=times["started"],
        detected_at=times["detected"],
        mitigated_at=times["mitigated"],
        resolved_at=times["resolved"],
        restricted=data.get("restricted", False),
        template=template,
        published_at=published_at,
        facilitator=context.user(data["facilitator"]) if data.get("facilitator") else None,
        version=0,
    )
    postmortem.authors.set([context.user(name) for name in data["authors"]])
    postmortem.teams.set([context.lookup("team", context.teams, slug) for slug in data["teams"]])
    postmortem.tags.set(data["tags"])

    bodies = {heading: text(body) for heading, body in dict(data["sections"]).items()}
    unknown = [heading for heading in bodies if heading not in {s.heading for s in template.sections.all()}]
    if unknown:
        raise DemoDataError(f"{data['slug']}: no section called {', '.join(map(repr, unknown))} in {template}.")
    postmortem_add_template_sections(postmortem=postmortem, template=template, bodies=bodies)

    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=postmortem,
            occurred_at=at(day, event[0]),
            kind=event[1],
            description=text(event[2]),
            evidence_url=event[3] if len(event) > 3 else "",
        )
        for event in data["timeline"]
    )
    ContributingFactor.objects.bulk_create(
        ContributingFactor(
            postmortem=postmortem,
            category=context.lookup("factor category", context.categories, category),
            description=text(description),
            position=position,
        )
        for position, (category, description) in enumerate(data["factors"])
    )
    ActionItem.objects.bulk_create(_action_item(item, postmortem, day, written_at, context, now)
                                   for item in data["action_items"])

    # The write-up was started after the incident, not when the demo was loaded.
    PostMortem.objects.filter(pk=postmortem.pk).update(created_at=written_at, updated_at=status_changed_at)
    postmortem.refresh_from_db(fields=["created_at", "updated_at"])
    revision = postmortem_record_change(postmortem=postmortem, user=context.user(data["authors"][0]),
                                        action="created")
    Revision.objects.filter(pk=revision.pk).update(created_at=written_at)
    return postmortem


def _action_item(item: dict, postmortem: PostMortem, day: date, written_at: datetime, context: _Context,
                 now: datetime) -> ActionItem:
    status = item["status"]
    completed_at = None
    if status in (ActionStatus.DONE, ActionStatus.WONT_DO):
        completed_at = min(at(day + timedelta(days=item["completed"]), "16:00"), now - timedelta(hours=1))
    if status == ActionStatus.WONT_DO and not item.get("wont_do_reason"):
        raise DemoDataError(f"{postmortem.slug}: “{item['title']}” is won't do without a reason.")
    return ActionItem(
        postmortem=postmortem,
        title=item["title"],
        description=text(item.get("description", "")),
        kind=item["kind"],
        priority=item["priority"],
        owner=context.user(item["owner"]),
        due_date=day + timedelta(days=item["due"]),
        status=status,
        wont_do_reason=text(item.get("wont_do_reason", "")),
        tracker_url=item.get("tracker", ""),
        completed_at=completed_at,
        created_at=min(written_at, completed_at) if completed_at else written_at,
    )


def _create_related_links(context: _Context) -> None:
    from knowledge.models import RelatedLink

    by_slug = PostMortem.objects.in_bulk([slug for link in RELATED_LINKS for slug in link[:2]], field_name="slug")
    for source, target, note in RELATED_LINKS:
        if source in by_slug and target in by_slug:
            RelatedLink.objects.get_or_create(
                source=by_slug[source],
                target=by_slug[target],
                defaults={"note": note, "created_by": context.user("facilitator")},
            )


def _create_reading_lists(context: _Context, *, now: datetime) -> None:
    from knowledge.models import ReadingList, ReadingListItem

    for position, spec in enumerate(READING_LISTS):
        if ReadingList.objects.filter(slug=spec["slug"]).exists():
            continue
        reading_list = ReadingList.objects.create(
            title=spec["title"],
            slug=spec["slug"],
            description=text(spec["description"]),
            for_new_hires=spec["for_new_hires"],
            position=position,
            created_by=context.user("facilitator"),
            created_at=now - timedelta(days=spec["days_ago"]),
        )
        by_slug = PostMortem.objects.in_bulk([slug for slug, _ in spec["items"]], field_name="slug")
        ReadingListItem.objects.bulk_create(
            ReadingListItem(reading_list=reading_list, postmortem=by_slug[slug], position=index, note=text(note))
            for index, (slug, note) in enumerate(spec["items"])
            if slug in by_slug
        )
