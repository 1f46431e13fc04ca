"""Workflows that touch several models: creating, saving, reviewing and publishing post-mortems.

Every change to a post-mortem goes through `postmortem_record_change`, which bumps the version
(refusing stale saves), records a Revision with a full snapshot, and refreshes the search index
and the language coach's findings in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from knowledge import search
from postmortems import coach, uploads
from postmortems.models import (
    ActionItem,
    PostMortem,
    Revision,
    Section,
    Severity,
    Status,
    Template,
    Upload,
)
from postmortems.roles import is_facilitator


class StaleVersion(Exception):
    """The post-mortem changed since the editor loaded it."""

    def __init__(self, postmortem: PostMortem, base_version: int):
        super().__init__(f"{postmortem.slug} is at version {postmortem.version}, the edit started from {base_version}")
        self.postmortem = postmortem
        self.base_version = base_version


@dataclass(frozen=True)
class SnapshotChange:
    label: str
    before: str
    after: str


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    """Return a slug for `title` that no other post-mortem uses."""
    base = slugify(title)[:200] or "post-mortem"
    slug, n = base, 2
    existing = PostMortem.objects.exclude(pk=exclude_pk) if exclude_pk else PostMortem.objects.all()
    while existing.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def snapshot(postmortem: PostMortem) -> dict:
    """Return everything a reader sees of `postmortem`, as plain data (for revisions and diffs)."""

    def ts(value):
        return value.isoformat() if value else None

    return {
        "title": postmortem.title,
        "summary": postmortem.summary,
        "severity": postmortem.severity,
        "status": postmortem.status,
        "restricted": postmortem.restricted,
        "started_at": ts(postmortem.started_at),
        "detected_at": ts(postmortem.detected_at),
        "mitigated_at": ts(postmortem.mitigated_at),
        "resolved_at": ts(postmortem.resolved_at),
        "teams": sorted(t.name for t in postmortem.teams.all()),
        "tags": sorted(t.name for t in postmortem.tags.all()),
        "authors": sorted(u.username for u in postmortem.authors.all()),
        "sections": [
            {"id": s.pk, "heading": s.heading, "body": s.body} for s in postmortem.sections.all()
        ],
        "timeline": [
            {"when": ts(e.occurred_at), "kind": e.kind, "description": e.description, "evidence_url": e.evidence_url}
            for e in postmortem.timeline_events.all()
        ],
        "factors": [
            {"category": f.category.name, "description": f.description}
            for f in postmortem.factors.select_related("category")
        ],
        "action_items": [
            {
                "title": a.title,
                "status": a.status,
                "owner": a.owner.username if a.owner else None,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "priority": a.priority,
            }
            for a in postmortem.action_items.select_related("owner")
        ],
    }


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


def changes_since(*, postmortem: PostMortem, version: int) -> tuple[list[SnapshotChange], list[Revision]]:
    """Return what changed in `postmortem` after `version`, and the revisions that changed it."""
    base = Revision.objects.filter(postmortem=postmortem, version=version).first()
    newer = list(Revision.objects.filter(postmortem=postmortem, version__gt=version).select_related("user"))
    return snapshot_changes(base.snapshot if base else {}, snapshot(postmortem)), newer


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(rows: list[dict]) -> str:
    def cell(key, value):
        return _display("when_at", value) if key == "when" else str(value)

    return "\n".join(" · ".join(cell(k, v) for k, v in row.items() if v not in (None, "")) for row in rows)


def _refresh_derived(postmortem: PostMortem) -> None:
    """Bring the search index and the coach's findings up to date with `postmortem`."""
    search.index_postmortem(postmortem)
    coach.refresh_findings(postmortem)


def _claim_version(postmortem: PostMortem, base_version: int | None) -> None:
    """Bump the stored version; with `base_version`, only if nobody saved since (else StaleVersion)."""
    rows = PostMortem.objects.filter(pk=postmortem.pk)
    if base_version is not None:
        rows = rows.filter(version=base_version)
    if not rows.update(version=F("version") + 1):
        postmortem.refresh_from_db()
        raise StaleVersion(postmortem, base_version)
    if base_version is not None:
        postmortem.version = base_version + 1
    else:
        postmortem.version = PostMortem.objects.values_list("version", flat=True).get(pk=postmortem.pk)


def _record_revision(*, postmortem: PostMortem, user, action: str, comment: str) -> Revision:
    revision = Revision.objects.create(
        postmortem=postmortem,
        version=postmortem.version,
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        comment=comment,
        snapshot=snapshot(postmortem),
    )
    _refresh_derived(postmortem)
    return revision


@transaction.atomic
def postmortem_record_change(
    *, postmortem: PostMortem, user, base_version: int | None = None, action: str = "edited", comment: str = ""
) -> Revision:
    """Bump the version (refusing a stale `base_version`) and record a Revision of the current state."""
    _claim_version(postmortem, base_version)
    return _record_revision(postmortem=postmortem, user=user, action=action, comment=comment)


@transaction.atomic
def postmortem_update(*, postmortem: PostMortem, user, base_version: int, forms: list) -> Revision:
    """Save the editor's valid `forms` (the post-mortem form first) as one change from `base_version`.

    The version is claimed before anything is written, so of two people saving from the same
    version, the second is refused with StaleVersion and nothing of theirs is written.
    """
    main_form, *part_forms = forms
    if "restricted" in main_form.cleaned_data:
        check_restriction_change(user=user, postmortem=postmortem, restricted=main_form.cleaned_data["restricted"])
    _claim_version(postmortem, base_version)
    saved = main_form.save(commit=False)
    saved.version = postmortem.version
    saved.save()
    main_form.save_m2m()
    for form in part_forms:
        form.save()
    return _record_revision(postmortem=saved, user=user, action="edited", comment="")


@transaction.atomic
def postmortem_create(
    *, user, template: Template, title: str, severity: str, started_at, restricted: bool = False
) -> PostMortem:
    """Start a draft from `template`, with the template's sections copied in and `user` as author."""
    postmortem = PostMortem.objects.create(
        title=title,
        slug=unique_slug(title),
        severity=severity,
        started_at=started_at,
        template=template,
        restricted=restricted,
        version=0,
    )
    postmortem.authors.add(user)
    Section.objects.bulk_create(
        Section(
            postmortem=postmortem,
            position=ts.position,
            heading=ts.heading,
            guidance=ts.guidance,
            kind=ts.kind,
            required=ts.required,
        )
        for ts in template.sections.all()
    )
    postmortem_record_change(postmortem=postmortem, user=user, action="created")
    return postmortem


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
    """Move a draft to review; every required section must be written first."""
    if postmortem.status != Status.DRAFT:
        raise ValidationError("Only a draft can be submitted for review.")
    missing = missing_required_sections(postmortem)
    if missing:
        names = ", ".join(f"“{s.heading}”" for s in missing)
        raise ValidationError(f"Write the required sections before submitting: {names}.")
    _set_status(postmortem, Status.IN_REVIEW)
    return postmortem_record_change(postmortem=postmortem, user=user, action="submitted for review")


@transaction.atomic
def postmortem_publish(*, postmortem: PostMortem, user) -> Revision:
    """Publish a post-mortem (facilitators only)."""
    if not is_facilitator(user):
        raise PermissionDenied("Only facilitators publish post-mortems.")
    if postmortem.status == Status.PUBLISHED:
        raise ValidationError("This post-mortem is already published.")
    still_open = coach.open_finding_count(postmortem)
    if still_open:
        raise ValidationError(
            f"{still_open} language finding{'s are' if still_open != 1 else ' is'} still open: fix each one "
            "or keep it with a reason before publishing."
        )
    _set_status(postmortem, Status.PUBLISHED)
    return postmortem_record_change(postmortem=postmortem, user=user, action="published")


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
    return postmortem_record_change(postmortem=postmortem, user=user, action="sent back", comment=comment.strip())


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
