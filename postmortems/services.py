"""Workflows that touch several models: creating, saving, reviewing and publishing post-mortems.

Every change to a post-mortem records a Revision with a full snapshot (through
`postmortem_record_change` or `postmortem_save`), bumps the version and refreshes the search
index and the language coach's findings in the same transaction.

The editor's text is a document (postmortems/documents.py). `postmortem_save` is the one way a
document is saved, whoever sends it (the editor, the importer, the API): it merges the document
with whatever was saved since the version the sender started from, so no save reverts anyone
else's change, and refuses only when the same thing was changed differently on both sides.

Over 500 lines on purpose, for now: it is the one write path of one aggregate (a post-mortem with
its parts, amendments and action items, and the templates it starts from), and keeping it in one
module keeps every change findable in one place while other work adds to it. When it is split,
it becomes a package (postmortems/services/ with a module per aggregate part) that re-exports the
same names, so no caller changes.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from knowledge import search
from postmortems import documents, follows, notifications, reviews, uploads
from postmortems.coach import checks
from postmortems.coach.engine import MAX_FINDING_TEXT
from postmortems.documents import Conflict
from postmortems.models import (
    API_TOKEN_PREFIX,
    ActionItem,
    Amendment,
    AmendmentStatus,
    ApiToken,
    ContributingFactor,
    FactorCategory,
    FindingDismissal,
    IncidentLink,
    LanguageFinding,
    PostMortem,
    Revision,
    Section,
    SectionKind,
    Severity,
    Status,
    Team,
    Template,
    TemplateSection,
    TimelineEvent,
    TokenScope,
    Upload,
    incident_time_error,
)
from postmortems.roles import is_facilitator


class EditConflict(Exception):
    """Both the save and someone else changed the same things; nothing was written.

    `merged` holds everything that could be merged (the sender's value where they conflict),
    `conflicts` what could not, `current` the stored document and `version` the version to
    resolve against.
    """

    def __init__(self, *, merged: dict, conflicts: list[Conflict], current: dict, version: int):
        super().__init__(f"{len(conflicts)} conflict(s) with version {version}")
        self.merged = merged
        self.conflicts = conflicts
        self.current = current
        self.version = version


class UnresolvedConflicts(ValidationError):
    """A save listed conflicts and did not say how to resolve each one; nothing was written."""

    def __init__(self, keys: list[str], base: dict):
        super().__init__(
            "Choose “keep mine”, “keep theirs” or “edit” for each conflict marked below, then save again. "
            "Nothing was saved yet; your text is still in the form."
        )
        self.keys = keys
        self.base = base


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the revision it recorded (None when nothing changed) and the version now stored."""

    revision: Revision | None
    version: int


@dataclass(frozen=True)
class SnapshotChange:
    label: str
    before: str
    after: str


SLUG_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: a suffix is read aloud sometimes
SLUG_SUFFIX_LENGTH = 6


def unique_slug(title: str, *, random_suffix: bool = True) -> str:
    """Return a slug for `title` that no other post-mortem uses.

    With `random_suffix` (every post-mortem started in Hindsight) the slug always ends in a short random
    part, so its shape never tells whether another post-mortem, perhaps one the author may not see,
    has the same title. Without it (imports, run by an operator who sees everything) the title alone
    is used when it is free, and a random part is added when it is not.
    """
    base = slugify(title)[:200] or "post-mortem"
    if not random_suffix and not PostMortem.objects.filter(slug=base).exists():
        return base
    while True:
        suffix = "".join(secrets.choice(SLUG_SUFFIX_ALPHABET) for _ in range(SLUG_SUFFIX_LENGTH))
        slug = f"{base}-{suffix}"
        if not PostMortem.objects.filter(slug=slug).exists():
            return slug


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def document_of(postmortem: PostMortem, *, layout: bool = False) -> dict:
    """Return the editor's document for `postmortem`'s stored text (see postmortems/documents.py); with
    `layout`, the admin's: the sections' layout and the facilitator too."""
    doc = {
        "title": postmortem.title,
        "summary": postmortem.summary,
        "severity": postmortem.severity,
        "started_at": _iso(postmortem.started_at),
        "detected_at": _iso(postmortem.detected_at),
        "mitigated_at": _iso(postmortem.mitigated_at),
        "resolved_at": _iso(postmortem.resolved_at),
        "teams": sorted(t.name for t in postmortem.teams.all()),
        "tags": sorted(t.name for t in postmortem.tags.all()),
        "authors": sorted(u.username for u in postmortem.authors.all()),
        "sections": [{"id": s.pk, "heading": s.heading, "body": s.body} for s in postmortem.sections.all()],
        "timeline": [
            {"id": e.pk, "when": _iso(e.occurred_at), "kind": e.kind, "description": e.description,
             "evidence_url": e.evidence_url}
            for e in postmortem.timeline_events.all()
        ],
        "factors": [
            {"id": f.pk, "category": f.category.name, "description": f.description}
            for f in postmortem.factors.select_related("category")
        ],
        "action_items": [
            {
                "id": a.pk,
                "title": a.title,
                "description": a.description,
                "kind": a.kind,
                "priority": a.priority,
                "owner": a.owner.username if a.owner else None,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "status": a.status,
                "wont_do_reason": a.wont_do_reason,
                "tracker_url": a.tracker_url,
            }
            for a in postmortem.action_items.select_related("owner")
        ],
    }
    if layout:
        doc["facilitator"] = postmortem.facilitator.username if postmortem.facilitator_id else None
        layouts = {s.pk: s for s in postmortem.sections.all()}
        for row in doc["sections"]:
            section = layouts[row["id"]]
            row.update(kind=section.kind, guidance=section.guidance, required=section.required,
                       position=section.position)
    return doc


def snapshot(postmortem: PostMortem) -> dict:
    """Return everything a reader sees of `postmortem`, as plain data (for revisions, diffs and merges)."""
    return {**document_of(postmortem), "status": postmortem.status, "restricted": postmortem.restricted}


FIELD_LABELS = {
    "title": "Title",
    "summary": "Short summary",
    "severity": "Severity",
    "status": "Status",
    "restricted": "Visibility",
    "started_at": "Incident started",
    "detected_at": "Detected",
    "mitigated_at": "Mitigated",
    "resolved_at": "Resolved",
    "teams": "Teams",
    "tags": "Tags",
    "authors": "Authors",
}


def _display(key: str, value) -> str:
    """Return a snapshot value as a reader would write it."""
    if value is None or value == "":
        return ""
    if key == "severity":
        return Severity(value).label if value in Severity.values else str(value)
    if key == "status":
        return Status(value).label if value in Status.values else str(value)
    if key == "restricted":
        return "Restricted to authors and facilitators" if value else "Open to every reader"
    if key.endswith("_at"):
        moment = datetime.fromisoformat(value)
        return date_format(timezone.localtime(moment), "j M Y, H:i T")
    return _text(value)


def snapshot_changes(before: dict, after: dict) -> list[SnapshotChange]:
    """Return the parts that differ between two snapshots, labelled and formatted for people."""
    changes = []
    for key, label in FIELD_LABELS.items():
        if before.get(key) != after.get(key):
            changes.append(SnapshotChange(label, _display(key, before.get(key)), _display(key, after.get(key))))
    old_sections = {s["heading"]: s["body"] for s in before.get("sections", [])}
    for section in after.get("sections", []):
        old = old_sections.pop(section["heading"], "")
        if old != section["body"]:
            changes.append(SnapshotChange(section["heading"], old, section["body"]))
    for heading, body in old_sections.items():
        changes.append(SnapshotChange(heading, body, ""))
    for key, label in (("timeline", "Timeline"), ("factors", "Contributing factors"), ("action_items", "Action items")):
        if before.get(key, []) != after.get(key, []):
            changes.append(SnapshotChange(label, _rows(before.get(key, [])), _rows(after.get(key, []))))
    return changes


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(rows: list[dict]) -> str:
    def cell(key, value):
        return _display("when_at", value) if key == "when" else str(value)

    return "\n".join(
        " · ".join(cell(k, v) for k, v in row.items() if k != "id" and v not in (None, "")) for row in rows
    )


def pending_amendment(postmortem: PostMortem, *, lock: bool = False) -> Amendment | None:
    """Return `postmortem`'s amendment in draft or in review, if it has one."""
    if postmortem.status != Status.PUBLISHED:
        return None
    amendments = Amendment.objects.pending().filter(postmortem=postmortem)
    if lock:
        amendments = amendments.select_for_update()
    return amendments.first()


def working_document(postmortem: PostMortem) -> tuple[dict, Amendment | None]:
    """Return the text the editor edits (a pending amendment's, else the post-mortem's) and the amendment."""
    amendment = pending_amendment(postmortem)
    return (amendment.document if amendment else document_of(postmortem)), amendment


def amendment_snapshot(amendment: Amendment, postmortem: PostMortem) -> dict:
    """Return a revision snapshot of `amendment`'s text: its status is the amendment's, never "published"."""
    status = amendment.status if amendment.status != AmendmentStatus.PUBLISHED else AmendmentStatus.IN_REVIEW
    return {**amendment.document, "status": status, "restricted": postmortem.restricted}


def _refresh_derived(postmortem: PostMortem, amendment: Amendment | None = None) -> None:
    """Bring the search index (the published text) and the coach's findings (the text being written:
    a pending amendment's, else the post-mortem's) up to date."""
    search.index_postmortem(postmortem)
    amendment = amendment if amendment is not None and amendment.is_pending else pending_amendment(postmortem)
    checks.refresh_findings(postmortem, document=amendment.document if amendment else None)


def _claim_version(postmortem: PostMortem, base_version: int | None = None) -> None:
    """Bump the stored version; with `base_version`, only if nobody saved since (the admin's rule)."""
    rows = PostMortem.objects.filter(pk=postmortem.pk)
    if base_version is not None:
        rows = rows.filter(version=base_version)
    if not rows.update(version=F("version") + 1):
        postmortem.refresh_from_db(fields=["version"])
        raise _stale(postmortem)
    postmortem.version = PostMortem.objects.values_list("version", flat=True).get(pk=postmortem.pk)


def _stale(postmortem: PostMortem) -> ValidationError:
    return ValidationError(
        "Someone else saved this post-mortem after you opened it (it is now at version %(v)s). "
        "Open it again to see their changes, then make yours.",
        params={"v": postmortem.version},
        code="stale",
    )


def _record_revision(
    *, postmortem: PostMortem, user, action: str, comment: str, amendment: Amendment | None = None
) -> Revision:
    revision = Revision.objects.create(
        postmortem=postmortem,
        amendment=amendment,
        version=postmortem.version,
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        comment=comment,
        snapshot=amendment_snapshot(amendment, postmortem) if amendment else snapshot(postmortem),
    )
    _refresh_derived(postmortem, amendment)
    return revision


@transaction.atomic
def postmortem_record_change(
    *, postmortem: PostMortem, user, base_version: int | None = None, action: str = "edited", comment: str = "",
    amendment: Amendment | None = None,
) -> Revision:
    """Bump the version (refusing a stale `base_version`) and record a Revision of the current state.

    With `amendment`, the revision records the amendment's text (a change that concerns it, such as
    a language finding kept in it); otherwise the post-mortem's own text.
    """
    _claim_version(postmortem, base_version)
    return _record_revision(postmortem=postmortem, user=user, action=action, comment=comment, amendment=amendment)


# --- Saving a document --------------------------------------------------------------------------

CURRENT = "current"


def _lock(postmortem: PostMortem) -> None:
    """Lock `postmortem`'s row until the transaction ends, and read its stored state into the instance."""
    fresh = PostMortem.objects.select_for_update().get(pk=postmortem.pk)
    for field in PostMortem._meta.concrete_fields:
        setattr(postmortem, field.attname, getattr(fresh, field.attname))


def base_snapshot(*, postmortem: PostMortem, version: int, amendment_id: int | None) -> dict | None:
    """Return the text an editor loaded at `version`: of amendment `amendment_id`, or (None) the
    post-mortem's own. Revisions of the other text in between (an action item's status changing
    on the published text while an amendment is written) are passed over."""
    revisions = Revision.objects.filter(postmortem=postmortem, version__lte=version)
    if amendment_id is None:
        revisions = revisions.filter(amendment__isnull=True)
    else:
        revisions = revisions.filter(amendment_id=amendment_id)
    revision = revisions.order_by("-version", "-id").only("snapshot").first()
    return revision.snapshot if revision else None


def _check_resolutions(resolutions: dict[str, str | None], base: dict) -> None:
    unresolved = [key for key, choice in resolutions.items() if choice not in documents.CHOICES]
    if unresolved:
        raise UnresolvedConflicts(unresolved, base)


def _with_amendment_ids(doc: dict, *others: dict) -> dict:
    """Return `doc` with its new rows numbered -1, -2…: they have no database row until published."""
    doc = documents.normalized(doc)
    next_id = documents.new_row_id(doc, *others)
    for name in documents.COLLECTIONS:
        for row in doc[name]:
            if row["id"] is None:
                row["id"] = next_id
                next_id -= 1
    return doc


@transaction.atomic
def postmortem_save(
    *,
    postmortem: PostMortem,
    user,
    base_version: int,
    document: dict,
    amendment_id: int | None | str = CURRENT,
    resolutions: dict[str, str | None] | None = None,
    restricted: bool | None = None,
    submit: bool = False,
    action: str = "edited",
    comment: str = "",
    strict: bool = False,
    layout: bool = False,
) -> SaveResult:
    """Save `document`, edited from `base_version`, merged with whatever was saved since.

    `amendment_id` says which text the sender loaded at `base_version`: a pending amendment's (its
    id) or the post-mortem's own (None); by default, whichever is being written now. A published
    post-mortem is never changed here: the save goes into its pending amendment (started on the
    first save that changes something), which readers do not see until a facilitator publishes it.

    `resolutions` answers the conflicts a previous attempt reported ({key: "mine" | "theirs" |
    "edit"}; every key listed must have an answer, else UnresolvedConflicts). Conflicts left after
    merging raise EditConflict and nothing is written. A save that changes nothing records no
    revision and keeps the version. With `submit`, a draft (or a draft amendment) goes to review in
    the same revision. `restricted` is applied only when it differs from what the editor loaded.

    With `strict` (the admin's rule) a save from any version but the stored one is refused with a
    ValidationError instead of merged. With `layout` the document carries the sections' layout and
    the facilitator, and a section it leaves out is removed (see postmortems/documents.py); a
    published post-mortem's layout is not changed (its text changes through an amendment).
    """
    _lock(postmortem)
    if layout and postmortem.status == Status.PUBLISHED:
        raise ValidationError("A published post-mortem changes through an amendment, in the editor.")
    if strict and postmortem.version != base_version:
        raise _stale(postmortem)
    amendment = pending_amendment(postmortem, lock=True)
    current = amendment.document if amendment else document_of(postmortem, layout=layout)
    if amendment_id == CURRENT:
        amendment_id = amendment.pk if amendment else None
    if strict:
        base_snap, merged, conflicts = None, documents.replacing(document, current, layout=layout), []
    else:
        base_snap = base_snapshot(postmortem=postmortem, version=base_version, amendment_id=amendment_id)
        base = base_snap if base_snap is not None else current
        if resolutions:
            _check_resolutions(resolutions, base)
            document = documents.resolve(document, base, resolutions)
        merged, conflicts = documents.merge(base, document, current, layout=layout)
    if conflicts:
        raise EditConflict(merged=merged, conflicts=conflicts, current=current, version=postmortem.version)
    loaded_restricted = (base_snap or {}).get("restricted", postmortem.restricted)
    change_restricted = restricted is not None and restricted not in (loaded_restricted, postmortem.restricted)
    if change_restricted:
        check_restriction_change(user=user, postmortem=postmortem, restricted=restricted)
    if postmortem.status == Status.PUBLISHED:
        return _save_amendment(postmortem=postmortem, amendment=amendment, user=user, merged=merged,
                               current=current, restricted=restricted if change_restricted else None,
                               submit=submit)
    submitting = submit and postmortem.status == Status.DRAFT
    if documents.same(merged, current, layout=layout) and not change_restricted and not submitting:
        return SaveResult(revision=None, version=postmortem.version)
    if submitting:
        _check_required_sections(postmortem, merged)
    owners_before = notifications.action_item_owners(postmortem)
    follows.section_mentions(postmortem=postmortem, user=user, before=current, after=merged)
    apply_document(postmortem=postmortem, doc=merged, layout=layout)
    if change_restricted:
        postmortem.restricted = restricted
        postmortem.save(update_fields=["restricted", "updated_at"])
    notifications.action_items_assigned(postmortem=postmortem, before=owners_before, user=user)
    if submitting:
        _set_status(postmortem, Status.IN_REVIEW)
        action = "submitted for review"
        notifications.review_requested(postmortem=postmortem, user=user)
    _claim_version(postmortem)
    revision = _record_revision(postmortem=postmortem, user=user, action=action, comment=comment)
    return SaveResult(revision=revision, version=postmortem.version)


def _save_amendment(*, postmortem, amendment, user, merged, current, restricted, submit) -> SaveResult:
    """Save `merged` as the pending amendment of published `postmortem` (starting one if needed)."""
    changes_text = not documents.same(merged, current)
    submitting = submit and (amendment.status == AmendmentStatus.DRAFT if amendment else changes_text)
    if not changes_text and restricted is None and not submitting:
        return SaveResult(revision=None, version=postmortem.version)
    if restricted is not None:  # not part of the amendment: it takes effect at once
        postmortem.restricted = restricted
        postmortem.save(update_fields=["restricted", "updated_at"])
        if not changes_text and not submitting:
            _claim_version(postmortem)
            revision = _record_revision(postmortem=postmortem, user=user,
                                        action="restricted" if restricted else "unrestricted", comment="")
            return SaveResult(revision=revision, version=postmortem.version)
    action = "amendment edited"
    if amendment is None:
        amendment = Amendment(postmortem=postmortem, base_document=current, base_version=postmortem.version,
                              created_by=user if user is not None and user.is_authenticated else None)
        action = "amendment started"
    if submitting:
        _check_required_sections(postmortem, merged)
        amendment.status = AmendmentStatus.IN_REVIEW
        amendment.submitted_at = timezone.now()
        action = "amendment submitted for review"
        notifications.review_requested(postmortem=postmortem, user=user, amendment=True)
    follows.section_mentions(postmortem=postmortem, user=user, before=current, after=merged)
    amendment.document = _with_amendment_ids(merged, amendment.base_document)
    amendment.save()
    _claim_version(postmortem)
    revision = _record_revision(postmortem=postmortem, user=user, action=action, comment="", amendment=amendment)
    return SaveResult(revision=revision, version=postmortem.version)


def _check_required_sections(postmortem: PostMortem, doc: dict) -> None:
    required = {s.pk: s.heading for s in postmortem.sections.all() if s.required}
    missing = [required[row["id"]] for row in doc["sections"] if row.get("id") in required and not row["body"].strip()]
    if missing:
        names = ", ".join(f"“{heading}”" for heading in missing)
        raise ValidationError(f"Write the required sections before submitting: {names}.")


def _parse_time(value):
    return datetime.fromisoformat(value) if value else None


def _parse_date(value):
    return date.fromisoformat(value) if value else None


def apply_document(*, postmortem: PostMortem, doc: dict, layout: bool = False) -> dict[tuple[str, int], int]:
    """Write `doc` over `postmortem`'s stored text (a post-mortem's row must be locked by the caller).

    Rows whose id the post-mortem does not have (new rows; rows of a pending amendment, with
    negative ids) are created. Returns {(collection, id in doc): id of the created row} for rows
    the document named with an id that were created. With `layout`, the sections' layout and the
    facilitator are written too.
    """
    doc = documents.normalized(doc, layout=layout)
    for key in ("title", "summary", "severity"):
        setattr(postmortem, key, doc[key])
    for key in documents.TIME_FIELDS:
        setattr(postmortem, key, _parse_time(doc[key]))
    if layout:
        postmortem.facilitator = _user_named(doc["facilitator"])
    postmortem.save()
    postmortem.teams.set(Team.objects.filter(name__in=doc["teams"]))
    postmortem.authors.set(get_user_model().objects.filter(username__in=doc["authors"]))
    postmortem.tags.set(doc["tags"])
    created: dict[tuple[str, int], int] = {}
    _apply_sections(postmortem, doc["sections"], created, layout=layout)
    _apply_timeline(postmortem, doc["timeline"], created)
    _apply_factors(postmortem, doc["factors"], created)
    _apply_action_items(postmortem, doc["action_items"], created)
    return created


def _sync(queryset, rows: list[dict], *, build, update, fields: list[str], name: str, created: dict) -> None:
    """Make `queryset`'s rows match `rows`: update those named by id, create the rest, delete the others."""
    existing = {obj.pk: obj for obj in queryset}
    keep, changed, new, new_ids = set(), [], [], []
    for index, row in enumerate(rows):
        obj = existing.get(row.get("id"))
        if obj is None:
            new.append(build(row, index))
            new_ids.append(row.get("id"))
            continue
        keep.add(obj.pk)
        if update(obj, row, index):
            changed.append(obj)
    gone = [pk for pk in existing if pk not in keep]
    if gone:
        queryset.model.objects.filter(pk__in=gone).delete()
    if changed:
        queryset.model.objects.bulk_update(changed, fields, batch_size=500)
    if new:
        objs = queryset.model.objects.bulk_create(new, batch_size=500)
        for row_id, obj in zip(new_ids, objs, strict=True):
            if row_id is not None:
                created[(name, row_id)] = obj.pk


def _assign(obj, values: dict) -> bool:
    changed = False
    for field, value in values.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed = True
    return changed


def _user_named(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(f"There is no user called “{username}”; choose another facilitator.")
    return user


def _section_layout(row: dict, section: Section) -> dict:
    return {"kind": row["kind"] or SectionKind.NARRATIVE, "guidance": row["guidance"],
            "required": bool(row["required"]),
            "position": row["position"] if row["position"] is not None else section.position}


def _apply_sections(postmortem: PostMortem, rows: list[dict], created: dict, *, layout: bool = False) -> None:
    existing = list(postmortem.sections.all())
    last = max((s.position for s in existing), default=0)

    def build(row, index):
        section = Section(postmortem=postmortem, heading=row["heading"] or "Section", body=row["body"],
                          kind=SectionKind.NARRATIVE, position=last + 1 + index)
        if layout:
            _assign(section, _section_layout(row, section))
        return section

    def update(obj, row, index):
        changed = _assign(obj, {"heading": row["heading"] or obj.heading, "body": row["body"]})
        if layout:
            changed = _assign(obj, _section_layout(row, obj)) or changed
        return changed

    fields = ["heading", "body", *documents.LAYOUT["sections"]] if layout else ["heading", "body"]
    _sync(postmortem.sections.all(), rows, build=build, update=update, fields=fields,
          name="sections", created=created)


def _apply_timeline(postmortem: PostMortem, rows: list[dict], created: dict) -> None:
    def values(row):
        return {"occurred_at": _parse_time(row["when"]), "kind": row["kind"], "description": row["description"],
                "evidence_url": row["evidence_url"]}

    _sync(postmortem.timeline_events.all(), rows,
          build=lambda row, index: TimelineEvent(postmortem=postmortem, **values(row)),
          update=lambda obj, row, index: _assign(obj, values(row)),
          fields=["occurred_at", "kind", "description", "evidence_url"], name="timeline", created=created)


def _apply_factors(postmortem: PostMortem, rows: list[dict], created: dict) -> None:
    categories = {c.name: c for c in FactorCategory.objects.all()}

    def values(row, index):
        category = categories.get(row["category"])
        if category is None:
            raise ValidationError(f"There is no factor category called “{row['category']}” any more; choose another.")
        return {"category_id": category.pk, "description": row["description"], "position": index}

    _sync(postmortem.factors.all(), rows,
          build=lambda row, index: ContributingFactor(postmortem=postmortem, **values(row, index)),
          update=lambda obj, row, index: _assign(obj, values(row, index)),
          fields=["category_id", "description", "position"], name="factors", created=created)


ACTION_ITEM_FIELDS = ["title", "description", "kind", "priority", "owner_id", "due_date", "tracker_url"]


def _apply_action_items(postmortem: PostMortem, rows: list[dict], created: dict) -> None:
    owners = {u.username: u for u in get_user_model().objects.filter(
        username__in={row["owner"] for row in rows if row["owner"]})}

    def values(row):
        return {"title": row["title"], "description": row["description"], "kind": row["kind"],
                "priority": row["priority"], "owner_id": owners[row["owner"]].pk if row["owner"] in owners else None,
                "due_date": _parse_date(row["due_date"]), "tracker_url": row["tracker_url"]}

    def build(row, index):
        item = ActionItem(postmortem=postmortem, **values(row))
        item.set_status(row["status"], row["wont_do_reason"])
        return item

    def update(obj, row, index):
        changed = _assign(obj, values(row))
        if obj.status != row["status"] or obj.wont_do_reason != row["wont_do_reason"].strip():
            obj.set_status(row["status"], row["wont_do_reason"])
            changed = True
        return changed

    _sync(postmortem.action_items.all(), rows, build=build, update=update,
          fields=[*ACTION_ITEM_FIELDS, "status", "wont_do_reason", "completed_at"], name="action_items",
          created=created)


@transaction.atomic
def postmortem_create(
    *, user, template: Template | None, title: str, severity: str, started_at, restricted: bool = False,
    slug: str = "", document: dict | None = None, action: str = "created",
) -> PostMortem:
    """Start a draft from `template`, with the template's sections copied in and `user` as author.

    With `document` (a layout document, see postmortems/documents.py: the admin's add form) the draft
    holds what the document says instead, authors included; the template's sections are copied in
    only when the document has none. `slug`, when given, is its address.
    """
    postmortem = PostMortem.objects.create(
        title=title,
        slug=slug or unique_slug(title),
        severity=severity,
        started_at=started_at,
        template=template,
        restricted=restricted,
        version=0,
    )
    if document is None:
        postmortem.authors.add(user)
    else:
        apply_document(postmortem=postmortem, doc=document, layout=True)
    for author in postmortem.authors.all():  # authors follow their own
        follows.follow_set(user=author, following=True, postmortem=postmortem)
    if document is None or not document.get("sections"):
        postmortem_add_template_sections(postmortem=postmortem, template=template)
    postmortem_record_change(postmortem=postmortem, user=user, action=action)
    return postmortem


def postmortem_add_template_sections(
    *, postmortem: PostMortem, template: Template | None = None, bodies: dict[str, str] | None = None
) -> list[Section]:
    """Copy `template`'s sections (by default the post-mortem's own template) into `postmortem`.

    The one way a template's sections become a post-mortem's: starting one in the editor or the
    admin and loading the demo call it. `bodies` gives the text of sections by heading (empty
    otherwise). It records no revision: the caller records one for the whole change.
    """
    bodies = bodies or {}
    template = template if template is not None else postmortem.template
    if template is None:
        return []
    return Section.objects.bulk_create(
        Section(
            postmortem=postmortem,
            position=ts.position,
            heading=ts.heading,
            guidance=ts.guidance,
            kind=ts.kind,
            required=ts.required,
            body=bodies.get(ts.heading, ""),
        )
        for ts in template.sections.all()
    )


def missing_required_sections(postmortem: PostMortem) -> list[Section]:
    return [s for s in postmortem.sections.all() if s.required and not s.body.strip()]


def _set_status(postmortem: PostMortem, status: str) -> None:
    postmortem.status = status
    postmortem.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at", "updated_at"]
    if status == Status.PUBLISHED and postmortem.published_at is None:
        postmortem.published_at = timezone.now()
        fields.append("published_at")
    postmortem.save(update_fields=fields)


@transaction.atomic
def postmortem_submit_for_review(*, postmortem: PostMortem, user) -> Revision:
    """Move a draft to review; every required section must be written first.

    The row is locked and its status read again, so two submits at once (a double click, two tabs)
    record one revision: the second finds the post-mortem in review already.
    """
    _lock(postmortem)
    if postmortem.status != Status.DRAFT:
        raise ValidationError("Only a draft can be submitted for review.")
    missing = missing_required_sections(postmortem)
    if missing:
        names = ", ".join(f"“{s.heading}”" for s in missing)
        raise ValidationError(f"Write the required sections before submitting: {names}.")
    _set_status(postmortem, Status.IN_REVIEW)
    notifications.review_requested(postmortem=postmortem, user=user)
    return postmortem_record_change(postmortem=postmortem, user=user, action="submitted for review")


def _open_findings_message(still_open: int) -> str:
    return (
        f"{still_open} language finding{'s are' if still_open != 1 else ' is'} still open: fix each one "
        "or keep it with a reason before publishing."
    )


@transaction.atomic
def postmortem_publish(*, postmortem: PostMortem, user) -> Revision:
    """Publish a post-mortem (facilitators only); the publishing facilitator is its facilitator from now on."""
    if not is_facilitator(user):
        raise PermissionDenied("Only facilitators publish post-mortems.")
    _lock(postmortem)
    if postmortem.status == Status.PUBLISHED:
        raise ValidationError("This post-mortem is already published.")
    still_open = checks.open_finding_count(postmortem)
    if still_open:
        raise ValidationError(_open_findings_message(still_open))
    _set_status(postmortem, Status.PUBLISHED)
    postmortem.facilitator = user
    postmortem.save(update_fields=["facilitator", "updated_at"])
    notifications.published(postmortem=postmortem, user=user)
    return postmortem_record_change(postmortem=postmortem, user=user, action="published",
                                    comment=reviews.approvers_text(postmortem))


@transaction.atomic
def postmortem_send_back(*, postmortem: PostMortem, user, comment: str) -> Revision:
    """Return a post-mortem to draft with the facilitator's comment (facilitators only)."""
    if not is_facilitator(user):
        raise PermissionDenied("Only facilitators send post-mortems back.")
    if not comment.strip():
        raise ValidationError("Say what needs another look, so the authors know what to change.")
    if postmortem.status == Status.DRAFT:
        raise ValidationError("This post-mortem is already a draft.")
    _set_status(postmortem, Status.DRAFT)
    notifications.sent_back(postmortem=postmortem, user=user, comment=comment.strip())
    return postmortem_record_change(postmortem=postmortem, user=user, action="sent back", comment=comment.strip())


# --- Amendments: the reviewed way a published post-mortem changes -------------------------------

def _amendment_for(postmortem: PostMortem, *statuses: str) -> Amendment:
    _lock(postmortem)
    amendment = pending_amendment(postmortem, lock=True)
    if amendment is None:
        raise ValidationError("This post-mortem has no amendment waiting.")
    if statuses and amendment.status not in statuses:
        raise ValidationError(
            "The amendment is in review already." if amendment.status == AmendmentStatus.IN_REVIEW
            else "The amendment is still a draft: its authors submit it for review first."
        )
    return amendment


@transaction.atomic
def amendment_submit(*, postmortem: PostMortem, user) -> Revision:
    """Send a published post-mortem's draft amendment to review; every required section must be written."""
    amendment = _amendment_for(postmortem, AmendmentStatus.DRAFT)
    _check_required_sections(postmortem, amendment.document)
    amendment.status = AmendmentStatus.IN_REVIEW
    amendment.submitted_at = timezone.now()
    amendment.save(update_fields=["status", "submitted_at", "updated_at"])
    notifications.review_requested(postmortem=postmortem, user=user, amendment=True)
    return postmortem_record_change(postmortem=postmortem, user=user, action="amendment submitted for review",
                                    amendment=amendment)


@transaction.atomic
def amendment_send_back(*, postmortem: PostMortem, user, comment: str) -> Revision:
    """Return an amendment in review to its authors as a draft, with the facilitator's comment."""
    if not is_facilitator(user):
        raise PermissionDenied("Only facilitators send amendments back.")
    if not comment.strip():
        raise ValidationError("Say what needs another look, so the authors know what to change.")
    amendment = _amendment_for(postmortem, AmendmentStatus.IN_REVIEW)
    amendment.status = AmendmentStatus.DRAFT
    amendment.save(update_fields=["status", "updated_at"])
    notifications.sent_back(postmortem=postmortem, user=user, comment=comment.strip(), amendment=True)
    return postmortem_record_change(postmortem=postmortem, user=user, action="amendment sent back",
                                    comment=comment.strip(), amendment=amendment)


@transaction.atomic
def amendment_discard(*, postmortem: PostMortem, user) -> Revision:
    """Drop a draft amendment: the published text stays as it is."""
    amendment = _amendment_for(postmortem, AmendmentStatus.DRAFT)
    amendment.status = AmendmentStatus.DISCARDED
    amendment.closed_at = timezone.now()
    amendment.save(update_fields=["status", "closed_at", "updated_at"])
    FindingDismissal.objects.filter(postmortem=postmortem, location__contains=":-").delete()
    _claim_version(postmortem)
    revision = Revision.objects.create(
        postmortem=postmortem, amendment=amendment, version=postmortem.version,
        user=user if user is not None and user.is_authenticated else None, action="amendment discarded",
        snapshot={**amendment.document, "status": AmendmentStatus.DISCARDED, "restricted": postmortem.restricted},
    )
    _refresh_derived(postmortem)
    return revision


@transaction.atomic
def amendment_publish(*, postmortem: PostMortem, user) -> Revision:
    """Publish a pending amendment (facilitators only): its text replaces the published text.

    The same gate as a first publication: every language finding in the amendment fixed or kept with
    a reason. The amendment is merged into the published text against the text it started from, so
    changes made to the published text meanwhile (an action item marked done) are kept; if both
    changed the same thing differently, publishing is refused and says where.
    """
    if not is_facilitator(user):
        raise PermissionDenied("Only facilitators publish amendments.")
    amendment = _amendment_for(postmortem)
    still_open = checks.open_finding_count(postmortem)
    if still_open:
        raise ValidationError(_open_findings_message(still_open))
    merged, conflicts = documents.merge(amendment.base_document, amendment.document, document_of(postmortem))
    if conflicts:
        places = "; ".join(conflict_description(c, merged) for c in conflicts)
        raise ValidationError(
            "The published text changed since this amendment started, in the same places: "
            f"{places}. Ask the authors to make the amendment agree with the published text there, then publish."
        )
    owners_before = notifications.action_item_owners(postmortem)
    created = apply_document(postmortem=postmortem, doc=merged)
    _move_coach_locations(postmortem, created)
    notifications.action_items_assigned(postmortem=postmortem, before=owners_before, user=user)
    notifications.amendment_published(postmortem=postmortem, user=user)
    postmortem.facilitator = user
    postmortem.save(update_fields=["facilitator", "updated_at"])
    _claim_version(postmortem)
    now = timezone.now()
    amendment.status = AmendmentStatus.PUBLISHED
    amendment.published_by, amendment.published_at, amendment.closed_at = user, now, now
    amendment.published_version = postmortem.version
    amendment.save()
    return _record_revision(postmortem=postmortem, user=user, action="amendment published",
                            comment=reviews.approvers_text(postmortem))


def conflict_description(conflict: Conflict, doc: dict) -> str:
    """Return where a conflict is, in words: "Title", "Action item “Alert on…” (status)"."""
    if conflict.collection is None:
        return FIELD_LABELS.get(conflict.key, conflict.key.replace("_", " ").capitalize())
    row = next((r for r in doc.get(conflict.collection, []) if r.get("id") == conflict.row_id), None) or {}
    name = row.get("heading") or row.get("title") or row.get("description") or ""
    name = name if len(name) <= 40 else name[:39] + "…"
    label = {"sections": "Section", "timeline": "Timeline event", "factors": "Contributing factor",
             "action_items": "Action item"}[conflict.collection]
    where = f"{label} “{name}”" if name else label
    return f"{where} ({conflict.field.replace('_', ' ')})" if conflict.field else where


def _move_coach_locations(postmortem: PostMortem, created: dict[tuple[str, int], int]) -> None:
    """Point the coach's findings and kept phrases in rows new in an amendment at their new rows."""
    prefix = {"timeline": "timeline", "factors": "factor", "action_items": "action", "sections": "section"}
    moves = {f"{prefix[name]}:{old}": f"{prefix[name]}:{new}" for (name, old), new in created.items() if old < 0}
    if not moves:
        return
    for model in (FindingDismissal, LanguageFinding):
        rows = list(model.objects.filter(postmortem=postmortem, location__in=list(moves)))
        for row in rows:
            row.location = moves[row.location]
        model.objects.bulk_update(rows, ["location"])


LIFT_RESTRICTION_REFUSED = (
    "Only facilitators lift a restriction. Ask one if this post-mortem may be open to every reader."
)


def check_restriction_change(*, user, postmortem: PostMortem, restricted: bool) -> None:
    """Raise PermissionDenied unless `user` may set `postmortem`'s restricted flag to `restricted`.

    Authors of the post-mortem and facilitators may restrict it; only facilitators lift a
    restriction. `user` None is Hindsight acting on its own (the Markdown import): it may restrict,
    never lift. Leaving the flag as it is, and choosing it for a new post-mortem, is always allowed.
    The flag is compared with the stored one, since a bound ModelForm has already set the new
    value on the instance. Every path that saves the flag calls this: the editor, the admin, the
    importer and `postmortem_set_restricted`.
    """
    if postmortem.pk is None:
        return
    stored = PostMortem.objects.filter(pk=postmortem.pk).values_list("restricted", flat=True).first()
    if stored is None or stored == restricted:
        return
    if user is not None and is_facilitator(user):
        return
    if not restricted:
        raise PermissionDenied(LIFT_RESTRICTION_REFUSED)
    if user is not None and not postmortem.is_authored_by(user):
        raise PermissionDenied("Only the post-mortem's authors and facilitators restrict it.")


@transaction.atomic
def postmortem_set_restricted(*, postmortem: PostMortem, user, restricted: bool) -> Revision:
    """Restrict `postmortem` to its authors and facilitators (its authors or a facilitator), or lift that
    (a facilitator only)."""
    if not (is_facilitator(user) or postmortem.is_authored_by(user)):
        raise PermissionDenied("Only the post-mortem's authors and facilitators change who may see it.")
    check_restriction_change(user=user, postmortem=postmortem, restricted=restricted)
    postmortem.restricted = restricted
    postmortem.save(update_fields=["restricted", "updated_at"])
    return postmortem_record_change(
        postmortem=postmortem, user=user, action="restricted" if restricted else "unrestricted"
    )


@transaction.atomic
def action_item_set_status(*, action_item: ActionItem, user, status: str, reason: str = "") -> ActionItem:
    """Change an action item's status; "won't do" needs a reason. Recorded on the post-mortem."""
    action_item.set_status(status, reason)
    action_item.save(update_fields=["status", "wont_do_reason", "completed_at"])
    comment = f"“{action_item.title}” is now {action_item.get_status_display().lower()}"
    if action_item.wont_do_reason:
        comment += f": {action_item.wont_do_reason}"
    postmortem_record_change(
        postmortem=action_item.postmortem, user=user, action="action item updated", comment=comment
    )
    return action_item


@transaction.atomic
def action_item_save(*, action_item: ActionItem, user, status_changed: bool = False) -> ActionItem:
    """Save an action item edited as a whole (the desk's form); recorded on its post-mortem.

    With `status_changed`, the completion time and the won't-do reason follow the new status
    (a won't do without a reason is refused).
    """
    added = action_item.pk is None
    if status_changed:
        action_item.set_status(action_item.status, action_item.wont_do_reason)
    action_item.save()
    postmortem_record_change(
        postmortem=action_item.postmortem, user=user,
        action="action item added in admin" if added else "action item edited in admin",
        comment=f"“{action_item.title}”",
    )
    return action_item


@transaction.atomic
def action_item_delete(*, action_item: ActionItem, user) -> None:
    """Delete an action item; recorded on its post-mortem."""
    postmortem, title = action_item.postmortem, action_item.title
    action_item.delete()
    postmortem_record_change(postmortem=postmortem, user=user, action="action item deleted in admin",
                             comment=f"“{title}”")


@transaction.atomic
def action_items_delete(*, action_items, user) -> None:
    """Delete the action items of queryset `action_items`; one revision on each post-mortem they were on."""
    postmortems = list(PostMortem.objects.filter(action_items__in=action_items).distinct())
    action_items.delete()
    for postmortem in postmortems:
        postmortem_record_change(postmortem=postmortem, user=user, action="action items deleted in admin")


@transaction.atomic
def upload_create(*, postmortem: PostMortem, user, image, name: str = "") -> Upload:
    """Store `image` (a file object) re-encoded as an image of `postmortem`; raise ImageRefused if it is not
    a PNG, JPEG, GIF or WebP picture that decodes. Nothing is stored when it is refused."""
    clean = uploads.clean_image(image, name=name)
    path = default_storage.save(uploads.new_name(clean.extension), ContentFile(clean.data))
    try:
        return Upload.objects.create(path=path, postmortem=postmortem, uploaded_by=user)
    except BaseException:
        default_storage.delete(path)
        raise


# --- Templates ----------------------------------------------------------------------------------

def _free(model, field: str, base: str) -> str:
    value, n = base, 2
    while model.objects.filter(**{field: value}).exists():
        value = f"{base} {n}" if field == "name" else f"{base}-{n}"
        n += 1
    return value


@transaction.atomic
def template_duplicate(*, template: Template) -> Template:
    """Return an inactive copy of `template` with copies of its sections, under a free name and slug."""
    name = _free(Template, "name", f"{template.name} (copy)")
    copy = Template.objects.create(
        name=name,
        slug=_free(Template, "slug", slugify(name)[:100] or "template"),
        description=template.description,
        is_active=False,
        position=template.position,
    )
    TemplateSection.objects.bulk_create(
        TemplateSection(
            template=copy,
            position=s.position,
            heading=s.heading,
            guidance=s.guidance,
            kind=s.kind,
            required=s.required,
        )
        for s in template.sections.all()
    )
    return copy


# ---------------------------------------------------------------- timelines from chat and paging tools

TOOL_TIME_FIELDS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


@dataclass
class TimelineImport:
    added: int
    already_there: int
    times_filled: list[str]
    result: SaveResult | None


@transaction.atomic
def postmortem_add_timeline(
    *, postmortem: PostMortem, user, events: list[dict], times: dict | None = None,
    action: str = "added a timeline from a tool", comment: str = "", dry_run: bool = False,
) -> TimelineImport:
    """Add `events` ({"when": aware datetime, "kind", "description", "evidence_url"?}) to the timeline
    of `postmortem` (its pending amendment when published), leaving out those already there, and fill
    the incident times in `times` ({"started_at": datetime, …}) that are still empty.

    Goes through `postmortem_save`, so the change is one revision and importing again adds nothing.
    """
    document, _ = working_document(postmortem)
    seen = {(_parse_time(row["when"]), row["description"]) for row in document["timeline"]}
    rows, already = [], 0
    for event in events:
        key = (event["when"], event["description"])
        if key in seen:
            already += 1
            continue
        seen.add(key)
        rows.append({"id": None, "when": _iso(event["when"]), "kind": event.get("kind") or "observation",
                     "description": event["description"], "evidence_url": event.get("evidence_url", "")})
    filled = [name for name, value in (times or {}).items()
              if name in TOOL_TIME_FIELDS and value is not None and not document.get(name)]
    if dry_run or (not rows and not filled):
        return TimelineImport(added=len(rows), already_there=already, times_filled=filled, result=None)
    changed = {**document, "timeline": [*document["timeline"], *rows]}
    for name in filled:
        changed[name] = _iso(times[name])
    result = postmortem_save(postmortem=postmortem, user=user, base_version=postmortem.version, document=changed,
                             action=action, comment=comment)
    return TimelineImport(added=len(rows), already_there=already, times_filled=filled, result=result)


# --- The coach's findings: keeping a flagged phrase -----------------------------------------------

DISMISS_ACTION = "dismissed a language finding"


@transaction.atomic
def finding_dismiss(*, postmortem: PostMortem, user, rule_slug: str, location: str, text: str,
                    reason: str) -> FindingDismissal:
    """Keep a flagged phrase with the author's reason, and record the decision in the revision history.

    Dismissing the same phrase again replaces the reason. Returns the FindingDismissal.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this phrase should stay, so the reviewer can follow."})
    # A finding in a pending amendment's text is part of the amendment's history, not the published one's.
    postmortem_record_change(postmortem=postmortem, user=user, action=DISMISS_ACTION, comment=reason,
                             amendment=pending_amendment(postmortem))
    dismissal, _ = FindingDismissal.objects.update_or_create(
        postmortem=postmortem,
        rule_slug=rule_slug,
        location=location,
        text=text[:MAX_FINDING_TEXT],
        defaults={"reason": reason, "user": user, "version": postmortem.version},
    )
    return dismissal
# --- Personal API tokens ------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user, name: str, scope: str) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return it and its secret (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise ValidationError({"name": "Name the token in 1 to 100 characters."})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": "Choose read or read and write."})
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, scope=scope, prefix=secret[:10],
                                    hashed=ApiToken.hash(secret))
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> None:
    """Revoke `token` (its owner or a facilitator); a revoked token stays listed, marked revoked."""
    if token.user_id != user.pk and not is_facilitator(user):
        raise PermissionDenied("Only the token's owner and facilitators revoke it.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


# --- Incidents reported by webhooks (postmortems/webhooks.py) -----------------------------------


@transaction.atomic
def postmortem_from_incident(*, webhook, report) -> tuple[PostMortem, bool]:
    """Create the draft of the incident `report` describes, or update the one it already has (by the incident's
    id at `webhook`); return it and whether it was created.

    Start, detection and resolution times are filled in when the report has them; its timeline events
    are appended unless the same event (time and text) is there already, so a replayed delivery changes
    nothing. The title and severity are set when the draft is created only: after that they are the
    authors'. Saved through `postmortem_save`, so a published post-mortem gets an amendment.
    """
    def in_range(value):
        return value if value is not None and not incident_time_error(value) else None

    link = (IncidentLink.objects.select_for_update().select_related("postmortem")
            .filter(webhook=webhook, external_id=report.external_id).first())
    created = link is None
    if created:
        started = in_range(report.started_at) or in_range(report.detected_at) or timezone.now()
        postmortem = postmortem_create(
            user=webhook.author, template=webhook.template,
            title=report.title or f"Incident {report.external_id}"[:200],
            severity=webhook.severity_for(report.severity), started_at=started,
        )
        IncidentLink.objects.create(webhook=webhook, external_id=report.external_id, postmortem=postmortem)
    else:
        postmortem = link.postmortem
        IncidentLink.objects.filter(pk=link.pk).update(updated_at=timezone.now())
    document = documents.normalized(working_document(postmortem)[0])
    for key in ("started_at", "detected_at", "resolved_at"):
        value = in_range(getattr(report, key))
        if value is not None and (key != "started_at" or created):
            document[key] = _iso(value)
    if webhook.team is not None and webhook.team.name not in document["teams"]:
        document["teams"] = sorted([*document["teams"], webhook.team.name])
    seen = {(row["when"], row["description"]) for row in document["timeline"]}
    for event in report.events:
        when = in_range(event["when"])
        if when is None or (_iso(when), event["description"]) in seen:
            continue
        seen.add((_iso(when), event["description"]))
        document["timeline"].append({"id": None, "when": _iso(when), "kind": event["kind"],
                                     "description": event["description"], "evidence_url": event["evidence_url"]})
    postmortem_save(postmortem=postmortem, user=webhook.author, base_version=postmortem.version, document=document,
                    action="updated from an incident webhook", comment=webhook.name)
    return postmortem, created
