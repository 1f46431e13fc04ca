"""Bring Markdown post-mortems in: one file becomes one post-mortem, nothing is dropped.

Reading a file is document.py (`read_document`, no database); this module saves what it read
(`import_document`, `import_paths`) through the services, so `--dry-run` reports exactly what a
real import would do. How a file is read is described in document.py.

Over 500 lines on purpose: saving one read document is one flow (a new draft, or a pending
amendment of a published one; its times, people, labels and structured parts, and the per-file
report), and its steps share the lookups and the report.
"""

import hashlib
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from postmortems.forms import TAG_MAX_LENGTH
from postmortems.interchange.document import (
    MAX_FILE_BYTES,
    BadFile,
    Document,
    ParsedFactor,
    _as_date,
    _as_datetime,
    _bool,
    _list,
    _megabytes,
    _text,
    _zone,
    guess_category,
    read_document,
    severity_of,
    status_of,
)
from postmortems.interchange.timeline import (
    find_date,
)
from postmortems.models import (
    IMPORT_ACTIONS,
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Revision,
    Section,
    SectionKind,
    Severity,
    Status,
    Team,
    Template,
    TimelineEvent,
    incident_time_error,
)
from postmortems.services import check_restriction_change, postmortem_record_change, unique_slug

COMMIT_EVERY = 50


# ---------------------------------------------------------------- saving


@dataclass
class Options:
    template: Template
    status: str = Status.DRAFT
    team: Team | None = None
    restricted: bool = False
    dry_run: bool = False
    overwrite: bool = False
    tz: tzinfo | None = None


@dataclass
class FileReport:
    path: str
    outcome: str  # imported, updated, skipped, failed ("would be imported/updated" in a dry run)
    reason: str = ""
    slug: str = ""
    sections: int = 0
    events: int = 0
    factors: int = 0
    action_items: int = 0
    notes: list[str] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)  # where the title, day and zone came from
    text_lines: list[str] = field(default_factory=list)  # timeline lines kept as text

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    def describe(self) -> str:
        parts = [f"{self.sections} sections", f"{self.events} timeline events", f"{self.factors} factors",
                 f"{self.action_items} action items"]
        return ", ".join(parts)


class _Lookups:
    """What the import reads over and over, loaded once per batch."""

    def __init__(self, template: Template):
        self._template_sections: dict[int, dict] = {}
        self.default_template = template
        self.categories = {c.slug: c for c in FactorCategory.objects.all()}
        self.categories_by_name = {c.name.lower(): c for c in self.categories.values()}
        self.users: dict[str, object] = {}
        self.teams: dict[str, Team] = {}
        self.tags: dict[str, Tag] = {}
        self.postmortem_type = ContentType.objects.get_for_model(PostMortem)

    def forget_writes(self) -> None:
        """Drop remembered tags and teams: those created for a file that failed were rolled back with it."""
        self.tags.clear()
        self.teams.clear()

    def template_section(self, template: Template | None, heading: str):
        """Return the section of `template` with this heading (any case and punctuation), or None."""
        template = template or self.default_template
        if template.pk not in self._template_sections:
            sections = {}
            for ts in template.sections.all():
                sections.setdefault(_heading_key(ts.heading), ts)
            self._template_sections[template.pk] = sections
        return self._template_sections[template.pk].get(_heading_key(heading))

    def template(self, slug: str) -> Template | None:
        if not hasattr(self, "_templates"):
            self._templates = {t.slug: t for t in Template.objects.all()}
        return self._templates.get(slug)

    def tag(self, name: str) -> Tag:
        """Return the tag called `name` (any case, as taggit matches), creating it once."""
        key = name.lower()
        if key not in self.tags:
            self.tags[key] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        return self.tags[key]

    def user(self, username: str):
        if username not in self.users:
            self.users[username] = get_user_model().objects.filter(username=username).first()
        return self.users[username]

    def team(self, key: str) -> tuple[Team, bool]:
        slug = slugify(key) or key
        if slug not in self.teams:
            team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name__iexact=key).first()
            created = False
            if team is None:
                team, created = Team.objects.get_or_create(slug=slug, defaults={"name": _team_name(key)})
            self.teams[slug] = team
            return team, created
        return self.teams[slug], False

    def category(self, factor: ParsedFactor) -> FactorCategory:
        key = factor.category.lower()
        if key and (key in self.categories_by_name or key in self.categories):
            return self.categories_by_name.get(key) or self.categories[key]
        text = f"{factor.category} {factor.description}" if factor.category else factor.description
        return guess_category(text, self.categories)


def _team_name(key: str) -> str:
    return key.replace("-", " ").replace("_", " ").strip().title() if key == slugify(key) else key


def _heading_key(heading: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", heading.lower()).strip()


def checksum(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def source_key(path: Path) -> str:
    return str(path.resolve())[-500:]


def import_file(path: Path, *, options: Options, lookups: _Lookups | None = None) -> FileReport:
    """Import one Markdown file; return what became of it (never raises for a bad file)."""
    lookups = lookups or _Lookups(options.template)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return FileReport(str(path), "failed",
                              f"too large ({_megabytes(size)}; files up to {_megabytes(MAX_FILE_BYTES)} are imported)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since
    except OSError as error:
        return FileReport(str(path), "failed", f"cannot be read ({error.strerror or error})")
    # One bad file must not stop the batch: whatever goes wrong is that file's failure, and its
    # writes are rolled back to a savepoint so the batch's transaction stays usable.
    try:
        doc = read_document(raw, filename=path.name, tz=options.tz)
    except BadFile as error:
        return FileReport(str(path), "failed", str(error))
    except Exception as error:
        return FileReport(str(path), "failed", f"could not be read ({_describe(error)})")
    try:
        with transaction.atomic():
            return import_document(doc, path=path, digest=checksum(raw), options=options, lookups=lookups)
    except Exception as error:
        lookups.forget_writes()
        return FileReport(str(path), "failed", f"could not be saved ({_describe(error)})")


def _describe(error: Exception) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def import_document(doc: Document, *, path: Path, digest: str, options: Options, lookups: _Lookups) -> FileReport:
    key = source_key(path)
    existing = PostMortem.objects.filter(source_path=key).first()
    would = "would be " if options.dry_run else ""
    report = FileReport(str(path), "", sections=len(doc.sections), events=len(doc.events),
                        factors=len(doc.factors), action_items=len(doc.action_items), notes=list(doc.warnings),
                        structure=list(doc.structure), text_lines=list(doc.text_lines))
    if doc.unparsed_timeline_lines:
        report.notes.append(f"{doc.unparsed_timeline_lines} timeline line(s) without a readable time kept as text")
    restricted = options.restricted or _bool(doc.front_matter.get("restricted"))
    bad_date = _date_out_of_range(doc, source_path=key, tz=_document_zone(doc, options))
    if bad_date:
        report.outcome, report.reason = "failed", bad_date
        return report
    if existing is not None:
        report.slug = existing.slug
        if existing.source_checksum == digest:
            report.outcome, report.reason = "skipped", "unchanged"
            return report
        last = Revision.objects.filter(postmortem=existing).order_by("-version", "-id").first()
        if last is not None and last.action not in IMPORT_ACTIONS and not options.overwrite:
            report.outcome = "skipped"
            report.reason = (f"changed in Hindsight since it was imported ({last.action}); "
                             "pass --overwrite to replace those changes with the file")
            return report
        try:
            check_restriction_change(user=None, postmortem=existing, restricted=restricted)
        except PermissionDenied:
            restricted = True
            report.notes.append("stays restricted (it is restricted in Hindsight; only a facilitator lifts that)")
        report.outcome = would + "updated"
    else:
        report.outcome = would + "imported"
    if existing is not None and existing.status == Status.PUBLISHED:
        # Readers keep the published text: the file's version waits for review in an amendment.
        report.outcome = would + "amended"
        if not options.dry_run:
            _amend(doc, existing=existing, key=key, options=options, lookups=lookups, report=report)
        if report.outcome != "skipped":
            report.notes.append(AMENDED_NOTE)
        return report
    if options.dry_run:
        return report
    postmortem = _save(doc, existing=existing, key=key, digest=digest, restricted=restricted,
                       options=options, lookups=lookups, report=report)
    report.slug = postmortem.slug
    return report


AMENDED_NOTE = ("published: the file's changes wait for review in an amendment; readers keep the published text "
                "until a facilitator publishes it")


def _amend(doc: Document, *, existing: PostMortem, key: str, options: Options, lookups: _Lookups,
           report: FileReport) -> None:
    """Save the file as the pending amendment of published `existing`, submitted for review."""

    from postmortems.services import postmortem_save, working_document

    current, _ = working_document(existing)
    amended = _document_from_file(doc, current=current, postmortem=existing, key=key, options=options,
                                  lookups=lookups, report=report)
    comment = f"From {Path(key).name}"
    try:
        result = postmortem_save(postmortem=existing, user=None, base_version=existing.version, document=amended,
                                 submit=True, comment=comment)
    except ValidationError as error:  # required sections left empty: keep it as a draft amendment
        result = postmortem_save(postmortem=existing, user=None, base_version=existing.version, document=amended,
                                 comment=comment)
        report.notes.append(f"not submitted for review: {' '.join(error.messages)}")
    if result.revision is None:
        report.outcome, report.reason = "skipped", "its amendment already says what the file says"


def _document_from_file(doc: Document, *, current: dict, postmortem: PostMortem, key: str, options: Options,
                        lookups: _Lookups, report: FileReport) -> dict:
    """Return `current` (an editor document) rewritten to say what the file says, keeping the ids of
    the rows the file still has (sections by heading, events by time and text, factors by text,
    action items by title)."""
    front = doc.front_matter
    tz = _zone(front.get("time_zone") or front.get("timezone")) or options.tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    times = PostMortem(source_path=key)
    _set_times(times, doc, tz)

    def iso(value):
        return value.astimezone(UTC).isoformat() if value else None

    teams, tags, authors = _people_and_labels(doc, options, lookups, report)
    sections_by_heading: dict[str, list[dict]] = {}
    for row in current["sections"]:
        sections_by_heading.setdefault(row["heading"], []).append(row)
    sections = []
    for heading, body in doc.sections:
        same = sections_by_heading.get(heading, [])
        sections.append({**same.pop(0), "body": body} if same else {"id": None, "heading": heading, "body": body})
    sections += [{**row, "body": ""} for rows in sections_by_heading.values() for row in rows]

    def ids_by(rows, key_of):
        found: dict = {}
        for row in rows:
            found.setdefault(key_of(row), []).append(row["id"])
        return found

    events = ids_by(current["timeline"], lambda r: (r["when"], r["description"]))
    factors = ids_by(current["factors"], lambda r: r["description"])
    items = ids_by(current["action_items"], lambda r: r["title"])

    def take(found, key_value):
        ids = found.get(key_value)
        return ids.pop(0) if ids else None

    action_items = []
    for parsed in doc.action_items:
        description = parsed.description
        owner = lookups.user(parsed.owner) if parsed.owner else None
        if parsed.owner and owner is None:
            report.notes.append(f"no user {parsed.owner!r} to own “{parsed.title[:40]}”; kept in its description")
            description = f"{description}\n\nOwner in the imported file: {parsed.owner}".strip()
        action_items.append({
            "id": take(items, parsed.title), "title": parsed.title, "description": description, "kind": parsed.kind,
            "priority": parsed.priority, "owner": owner.username if owner else None,
            "due_date": parsed.due_date.isoformat() if parsed.due_date else None, "status": parsed.status,
            "wont_do_reason": parsed.wont_do_reason if parsed.status == ActionStatus.WONT_DO else "",
            "tracker_url": parsed.tracker_url,
        })
    return {
        **current,
        "title": doc.title,
        "summary": doc.summary,
        "severity": severity_of(front.get("severity")) or severity_of(doc.stats.get("severity")) or current["severity"],
        "started_at": iso(times.started_at), "detected_at": iso(times.detected_at),
        "mitigated_at": iso(times.mitigated_at), "resolved_at": iso(times.resolved_at),
        "teams": sorted(t.name for t in teams), "tags": sorted(t.name for t in tags),
        "authors": sorted(u.username for u in authors) or current["authors"],
        "sections": sections,
        "timeline": [
            {"id": take(events, (iso(e.occurred_at), e.description)), "when": iso(e.occurred_at), "kind": e.kind_guess,
             "description": e.description, "evidence_url": e.evidence_url[:500]}
            for e in doc.events
        ],
        "factors": [
            {"id": take(factors, f.description), "category": lookups.category(f).name, "description": f.description}
            for f in doc.factors
        ],
        "action_items": action_items,
    }


@transaction.atomic
def _save(doc: Document, *, existing: PostMortem | None, key: str, digest: str, restricted: bool,
          options: Options, lookups: _Lookups, report: FileReport) -> PostMortem:
    front = doc.front_matter
    tz = _document_zone(doc, options)
    postmortem = existing or PostMortem(version=0, source_path=key)
    postmortem.title = doc.title
    postmortem.summary = doc.summary
    postmortem.severity = (severity_of(front.get("severity")) or severity_of(doc.stats.get("severity"))
                           or (existing.severity if existing else Severity.SEV3))
    status = status_of(front.get("status")) or options.status
    if status != postmortem.status or existing is None:
        postmortem.status_changed_at = timezone.now()
    postmortem.status = status
    if status == Status.PUBLISHED:
        postmortem.published_at = (_as_datetime(front.get("published_at") or front.get("published"), tz)
                                   or postmortem.published_at or timezone.now())
    postmortem.restricted = restricted
    if "template" in front and front["template"] is None:
        postmortem.template = None  # stated: made without a template (sections still get the default's prompts)
    else:
        postmortem.template = lookups.template(_text(front.get("template"))) or options.template
    _set_times(postmortem, doc, tz)
    facilitator = _text(front.get("facilitator"))
    postmortem.facilitator = lookups.user(facilitator) if facilitator else None
    if facilitator and postmortem.facilitator is None:
        report.notes.append(f"no user {facilitator!r} to be the facilitator")
    wanted_slug = slugify(_text(front.get("slug")))[:220]
    if existing is None or (wanted_slug and wanted_slug != existing.slug):
        taken = wanted_slug and PostMortem.objects.filter(slug=wanted_slug).exclude(pk=postmortem.pk).exists()
        if wanted_slug and not taken:
            postmortem.slug = wanted_slug
        elif existing is None:
            postmortem.slug = unique_slug(wanted_slug or doc.title, random_suffix=False)
            if wanted_slug:
                report.notes.append(f"slug {wanted_slug!r} is taken; using {postmortem.slug!r}")
    postmortem.source_checksum = digest
    postmortem.save()
    _save_people_and_labels(postmortem, doc, options, lookups, report, new=existing is None)
    _save_parts(postmortem, doc, lookups, report, new=existing is None)
    postmortem_record_change(
        postmortem=postmortem, user=None, action="imported (updated)" if existing else "imported",
        comment=f"From {Path(key).name}",
    )
    return postmortem


def _document_zone(doc: Document, options: Options) -> tzinfo:
    return doc.time_zone or options.tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _date_out_of_range(doc: Document, *, source_path: str, tz: tzinfo) -> str:
    """Return why the file cannot be imported because of a date outside 1970 … a year from now, or "".

    Such a file is not imported at all (rather than imported with the date left out), so that
    nothing in it is silently dropped: the report names the date to correct.
    """
    times = PostMortem(source_path=source_path)
    try:
        _set_times(times, doc, tz)
    except OverflowError:  # a duration that carries a time past year 9999
        too_late = datetime.max.replace(tzinfo=UTC)
        return "an incident time is out of range: " + _lower_first(incident_time_error(too_late))
    for label, value in (("incident start", times.started_at), ("detected time", times.detected_at),
                         ("mitigated time", times.mitigated_at), ("resolved time", times.resolved_at)):
        error = incident_time_error(value)
        if error:
            return f"the {label} {_local(value, tz)} is out of range: {_lower_first(error)}"
    bad = [e for e in doc.events if incident_time_error(e.occurred_at)]
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return (f"the timeline event at {_local(first.occurred_at, tz)}{more} is out of range: "
                f"{_lower_first(incident_time_error(first.occurred_at))}")
    return ""


def _local(value: datetime, tz: tzinfo) -> str:
    try:
        value = value.astimezone(tz)
    except OverflowError:
        pass
    return f"{value.year:04d}-{value:%m-%d %H:%M}"  # %Y does not pad years before 1000


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _stated(front: dict, names: tuple[str, ...], tz: tzinfo) -> tuple[bool, datetime | None]:
    """Return whether the front matter states one of `names` (an explicit null counts) and its value."""
    for name in names:
        if name in front:
            return True, _as_datetime(front[name], tz)
    return False, None


def _set_times(postmortem: PostMortem, doc: Document, tz: tzinfo) -> None:
    front = doc.front_matter
    events = sorted(doc.events, key=lambda e: e.occurred_at)
    said, started = _stated(front, ("started", "started_at", "incident_start"), tz)
    raw_date = front.get("date")
    if not said and raw_date is not None:
        if isinstance(raw_date, datetime) or (isinstance(raw_date, str) and re.search(r"\d:\d", raw_date)):
            started = _as_datetime(raw_date, tz)
        elif (day := _as_date(raw_date)) is not None:
            same_day = [e for e in events if e.occurred_at.astimezone(tz).date() == day]
            started = same_day[0].occurred_at if same_day else datetime.combine(day, time(0), tzinfo=tz)
    if not said and started is None and events:
        started = events[0].occurred_at
    if not said and started is None:
        day = find_date(doc.title) or find_date(Path(postmortem.source_path).stem)
        started = datetime.combine(day, time(0), tzinfo=tz) if day else None
    postmortem.started_at = started

    order = ("detected", "mitigated", "resolved")
    stated, explicit = {}, set()
    for name in order:
        said, value = _stated(front, (name, f"{name}_at"), tz)
        if said:
            explicit.add(name)
        elif started and doc.stats.get(name) is not None:
            value = started + doc.stats[name]
        stated[name] = value
    # The timeline fills what the front matter and the stats leave open, in a consistent order only.
    for name, kind in zip(order, ("detection", "mitigation", "resolution"), strict=True):
        if stated[name] is not None or name in explicit:
            continue
        matching = [e.occurred_at for e in events if e.kind_guess == kind and (not started or e.occurred_at >= started)]
        if not matching:
            continue
        guess = matching[-1] if name == "resolved" else matching[0]
        before = [stated[n] for n in order[: order.index(name)] if stated[n]]
        after = [stated[n] for n in order[order.index(name) + 1:] if stated[n]]
        if all(b <= guess for b in before) and all(guess <= a for a in after):
            stated[name] = guess
    postmortem.detected_at, postmortem.mitigated_at, postmortem.resolved_at = (stated[n] for n in order)


def _save_people_and_labels(postmortem, doc, options, lookups, report, *, new: bool) -> None:
    teams, tags, authors = _people_and_labels(doc, options, lookups, report)
    if not new:
        postmortem.teams.set(teams)
        postmortem.tags.set(tags)
        postmortem.authors.set(authors)
        return
    # A new post-mortem has no links yet: write them in one statement each.
    PostMortem.teams.through.objects.bulk_create(
        PostMortem.teams.through(postmortem=postmortem, team=team) for team in dict.fromkeys(teams))
    PostMortem.authors.through.objects.bulk_create(
        PostMortem.authors.through(postmortem=postmortem, user=user) for user in dict.fromkeys(authors))
    TaggedItem.objects.bulk_create(
        TaggedItem(tag=tag, content_type=lookups.postmortem_type, object_id=postmortem.pk) for tag in tags)


def _people_and_labels(doc, options, lookups, report) -> tuple[list, list, list]:
    """Return the teams, tags and authors the file names (creating teams and tags it needs)."""
    front = doc.front_matter
    team_keys = _list(front.get("teams") or front.get("team"))
    teams = []
    for key in team_keys:
        team, created = lookups.team(key)
        teams.append(team)
        if created:
            report.notes.append(f"created team {team.name!r}")
    if options.team and options.team not in teams:
        teams.append(options.team)
    if "tags" in front:
        names = _list(front.get("tags"))
    else:
        names = [doc.stats["category"].lower()] if doc.stats.get("category") else []
    for name in [name for name in names if len(name) > TAG_MAX_LENGTH]:
        report.notes.append(f"tag {name[:20]!r}… is longer than {TAG_MAX_LENGTH} characters; left out")
    names = [name for name in names if len(name) <= TAG_MAX_LENGTH]
    tags = list({tag.pk: tag for tag in (lookups.tag(name) for name in names)}.values())
    authors = []
    for username in _list(front.get("authors") or front.get("author")):
        user = lookups.user(username.lstrip("@"))
        if user is None:
            report.notes.append(f"no user {username!r}; not added as an author")
        else:
            authors.append(user)
    return teams, tags, authors


def _save_parts(postmortem: PostMortem, doc: Document, lookups: _Lookups, report: FileReport, *, new: bool) -> None:
    old_sections = [] if new else list(postmortem.sections.all())
    by_heading: dict[str, list[Section]] = {}
    for section in old_sections:
        by_heading.setdefault(section.heading, []).append(section)
    keep, create = [], []
    for position, (heading, body) in enumerate(doc.sections):
        template_section = lookups.template_section(postmortem.template, heading)
        reused = by_heading.get(heading, [])
        section = reused.pop(0) if reused else Section(postmortem=postmortem, heading=heading)
        section.position, section.body = position, body
        section.kind = template_section.kind if template_section else SectionKind.NARRATIVE
        section.guidance = template_section.guidance if template_section else ""
        section.required = template_section.required if template_section else False
        (keep if section.pk else create).append(section)
    if not new:
        Section.objects.filter(postmortem=postmortem).exclude(pk__in=[s.pk for s in keep]).delete()
        postmortem.timeline_events.all().delete()
        postmortem.factors.all().delete()
    if keep:
        Section.objects.bulk_update(keep, ["position", "body", "kind", "guidance", "required"])
    Section.objects.bulk_create(create)

    TimelineEvent.objects.bulk_create(
        TimelineEvent(postmortem=postmortem, occurred_at=e.occurred_at, kind=e.kind_guess,
                      description=e.description, evidence_url=e.evidence_url[:500])
        for e in doc.events
    )
    ContributingFactor.objects.bulk_create(
        ContributingFactor(postmortem=postmortem, category=lookups.category(f), description=f.description,
                           position=position)
        for position, f in enumerate(doc.factors)
    )
    _save_action_items(postmortem, doc, lookups, report, new=new)


def _save_action_items(postmortem: PostMortem, doc: Document, lookups: _Lookups, report: FileReport, *,
                       new: bool) -> None:
    old: dict[str, list[ActionItem]] = {}
    for item in [] if new else postmortem.action_items.all():
        old.setdefault(item.title, []).append(item)
    keep, create = [], []
    for parsed in doc.action_items:
        same_title = old.get(parsed.title, [])
        item = same_title.pop(0) if same_title else ActionItem(postmortem=postmortem, title=parsed.title)
        owner = lookups.user(parsed.owner) if parsed.owner else None
        description = parsed.description
        if parsed.owner and owner is None:
            report.notes.append(f"no user {parsed.owner!r} to own “{parsed.title[:40]}”; kept in its description")
            description = f"{description}\n\nOwner in the imported file: {parsed.owner}".strip()
        item.description, item.owner, item.due_date = description, owner, parsed.due_date
        item.priority, item.kind, item.tracker_url = parsed.priority, parsed.kind, parsed.tracker_url
        if item.status != parsed.status or item.wont_do_reason != parsed.wont_do_reason:
            item.set_status(parsed.status, parsed.wont_do_reason)
        if parsed.completed_on and item.completed_at:
            # Closed on the stated day (at noon there, never later than now).
            zone = doc.time_zone or zoneinfo.ZoneInfo(settings.TIME_ZONE)
            noon = datetime.combine(parsed.completed_on, time(12), tzinfo=zone)
            item.completed_at = min(noon, timezone.now())
        (keep if item.pk else create).append(item)
    if old:
        ActionItem.objects.filter(pk__in=[i.pk for items in old.values() for i in items]).delete()
    if keep:
        ActionItem.objects.bulk_update(keep, ["description", "owner", "due_date", "priority", "kind", "tracker_url",
                                              "status", "wont_do_reason", "completed_at"])
    ActionItem.objects.bulk_create(create)


def markdown_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Return the `*.md` files `paths` name (folders recursively, sorted), and reports for missing paths."""
    files, missing = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() == ".md"
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileReport(str(path), "failed", "no such file or folder"))
    return files, missing


def import_paths(paths: Iterable[str | Path], *, options: Options,
                 progress: Callable[[int, int, FileReport], None] | None = None) -> list[FileReport]:
    """Import every Markdown file under `paths`; one bad file is reported and the batch goes on."""
    files, reports = markdown_files(paths)
    lookups = _Lookups(options.template)
    # Files are committed in groups (each file in its own savepoint, so a bad one rolls back alone):
    # one commit per file would cost more than the file's own writes on SQLite.
    for start in range(0, len(files), COMMIT_EVERY):
        with transaction.atomic():
            for index, path in enumerate(files[start:start + COMMIT_EVERY], start=start + 1):
                report = import_file(path, options=options, lookups=lookups)
                reports.append(report)
                if progress:
                    progress(index, len(files), report)
    return reports


__all__ = ["BadFile", "Document", "FileReport", "Options", "import_file", "import_paths", "read_document"]
