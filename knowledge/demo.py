"""Demo content: the post-mortem archive of Larkspur, a fictional online grocer.

Each write-up is a Markdown file in knowledge/demo_data/, read and saved by the Markdown importer
(postmortems/interchange/importer.py) exactly as a team's own files are, so the demo exercises the
import path. The links between write-ups and the reading lists through them are in
demo_data/links-and-reading-lists.yaml. The demo spans both apps, like the archive.

Dates are written relative to the day the demo is loaded (`today-498 17:48`, `today+3`), so the
archive always looks lived in: incidents spread over the last eighteen months, action items done,
in progress and overdue. The loader turns them into dates before the importer reads a file. It
then applies what only a demo needs: the history is back-dated (written, submitted, published and
closed when the file says, never later than now) and the first revision is credited to the first
author as "created". Loading is idempotent, keyed on slugs: a post-mortem, link or reading list
that already exists is left exactly as it is.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from knowledge.models import ReadingList, ReadingListItem, RelatedLink
from postmortems.interchange.document import BadFile, read_document
from postmortems.interchange.importer import Options, _Lookups, checksum, import_document
from postmortems.interchange.reader import ReadError, split_front_matter
from postmortems.models import ActionItem, PostMortem, Revision, Status, Team, Template

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
LINKS_FILE = DEMO_DIR / "links-and-reading-lists.yaml"
USERNAMES = ("author", "author2", "facilitator", "reader")
_RELATIVE_DAY = re.compile(r"\btoday(?P<days>[+-]\d+)\b")


class DemoDataError(Exception):
    """The demo data refers to something that does not exist, or a file cannot be read."""


def resolve_dates(text: str, *, today: date) -> str:
    """Return `text` with every `today-N` / `today+N` written as the ISO date N days before or after `today`.

    >>> resolve_dates("started: today-3 14:05", today=date(2026, 3, 4))
    'started: 2026-03-01 14:05'
    """
    return _RELATIVE_DAY.sub(lambda m: (today + timedelta(days=int(m["days"]))).isoformat(), text)


@dataclass
class DemoFile:
    path: Path
    text: str  # with dates resolved
    front: dict

    @property
    def slug(self) -> str:
        return self.front["slug"]


def demo_files(*, today: date | None = None) -> list[DemoFile]:
    """Return the demo write-ups, oldest incident first, with their dates resolved against `today`."""
    today = today or timezone.localdate()
    files = []
    for path in sorted(DEMO_DIR.glob("*.md")):
        text = resolve_dates(path.read_text(encoding="utf-8"), today=today)
        try:
            front, _ = split_front_matter(text)
        except ReadError as error:
            raise DemoDataError(f"{path.name}: {error}") from None
        if not front.get("slug"):
            raise DemoDataError(f"{path.name}: no slug in the front matter.")
        files.append(DemoFile(path=path, text=text, front=front))
    return sorted(files, key=lambda f: str(f.front.get("started", "")))


def _when(value, *, now: datetime, latest: timedelta) -> datetime:
    """Return a front matter time as aware UTC, never later than `now - latest`."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return min(parsed, now - latest)


@transaction.atomic
def load_demo_postmortems(*, now: datetime | None = None) -> int:
    """Create the demo post-mortems, related links and reading lists that do not exist yet.

    Return how many post-mortems were created. Needs the demo users and teams that
    `manage.py load_demo` creates first.
    """
    now = now or timezone.now()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERNAMES)}
    missing = set(USERNAMES) - set(users)
    if missing:
        raise DemoDataError(f"Demo users missing ({', '.join(sorted(missing))}): run manage.py load_demo.")
    files = demo_files(today=now.date())
    existing = set(PostMortem.objects.filter(slug__in=[f.slug for f in files]).values_list("slug", flat=True))
    teams = set(Team.objects.values_list("slug", flat=True))
    lookups = _Lookups(Template.objects.get(slug="standard"))
    created = 0
    for demo_file in files:
        if demo_file.slug in existing:
            continue
        unknown = set(demo_file.front.get("teams") or []) - teams
        if unknown:
            raise DemoDataError(f"{demo_file.path.name}: unknown team {', '.join(sorted(unknown))}.")
        _create_postmortem(demo_file, lookups=lookups, users=users, now=now)
        created += 1
    library = yaml.safe_load(resolve_dates(LINKS_FILE.read_text(encoding="utf-8"), today=now.date()))
    _create_related_links(library["related_links"], facilitator=users["facilitator"])
    _create_reading_lists(library["reading_lists"], facilitator=users["facilitator"], now=now)
    return created


def _create_postmortem(demo_file: DemoFile, *, lookups: _Lookups, users: dict, now: datetime) -> PostMortem:
    front = demo_file.front
    written_at = _when(front["written"], now=now, latest=timedelta(hours=1))
    status_changed_at = written_at
    if front["status"] == Status.PUBLISHED:
        status_changed_at = front["published"] = _when(front["published"], now=now, latest=timedelta(minutes=30))
    elif front["status"] == Status.IN_REVIEW:
        status_changed_at = _when(front["submitted"], now=now, latest=timedelta(minutes=30))
    raw = demo_file.text.encode()
    try:
        doc = read_document(raw, filename=demo_file.path.name)
    except BadFile as error:
        raise DemoDataError(f"{demo_file.path.name}: {error}") from None
    doc.front_matter["published"] = front.get("published")
    options = Options(template=lookups.default_template)
    report = import_document(doc, path=demo_file.path, digest=checksum(raw), options=options, lookups=lookups)
    if report.failed or report.notes or report.slug != demo_file.slug:
        raise DemoDataError(f"{demo_file.path.name}: {report.outcome} as {report.slug!r}: "
                            f"{report.reason} {'; '.join(report.notes)}".strip())
    postmortem = PostMortem.objects.get(slug=demo_file.slug)
    # The write-up was started after the incident, by its first author, not when the demo was loaded.
    PostMortem.objects.filter(pk=postmortem.pk).update(
        created_at=written_at, updated_at=status_changed_at, status_changed_at=status_changed_at
    )
    Revision.objects.filter(postmortem=postmortem).update(
        action="created", comment="", user=users[front["authors"][0]], created_at=written_at
    )
    items = ActionItem.objects.filter(postmortem=postmortem)
    items.update(created_at=written_at)
    for item in items.filter(completed_at__lt=written_at):
        ActionItem.objects.filter(pk=item.pk).update(created_at=item.completed_at)
    return postmortem


def _create_related_links(links: list[dict], *, facilitator) -> None:
    by_slug = PostMortem.objects.in_bulk([link[end] for link in links for end in ("source", "target")],
                                         field_name="slug")
    for link in links:
        if link["source"] in by_slug and link["target"] in by_slug:
            RelatedLink.objects.get_or_create(
                source=by_slug[link["source"]],
                target=by_slug[link["target"]],
                defaults={"note": link["note"], "created_by": facilitator},
            )


def _create_reading_lists(specs: list[dict], *, facilitator, now: datetime) -> None:
    for position, spec in enumerate(specs):
        if ReadingList.objects.filter(slug=spec["slug"]).exists():
            continue
        created = spec["created"]
        reading_list = ReadingList.objects.create(
            title=spec["title"],
            slug=spec["slug"],
            description=spec["description"],
            for_new_hires=spec["for_new_hires"],
            position=position,
            created_by=facilitator,
            created_at=now - (now.date() - created),
        )
        by_slug = PostMortem.objects.in_bulk([item["postmortem"] for item in spec["items"]], field_name="slug")
        ReadingListItem.objects.bulk_create(
            ReadingListItem(reading_list=reading_list, postmortem=by_slug[item["postmortem"]], position=index,
                            note=item["note"])
            for index, item in enumerate(spec["items"])
            if item["postmortem"] in by_slug
        )
