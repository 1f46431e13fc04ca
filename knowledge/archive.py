"""The whole of Hindsight as one JSON document: for backups and for moving between databases.

It spans both apps, so it lives in knowledge (which may depend on postmortems, never the reverse).
It is over 500 lines because it is one format, read and written in one place: every model's
fields out, and back in the order the foreign keys need.

`build_archive()` returns everything people wrote or configured: users (by username, with their
groups, permissions, password hashes and profiles), groups, teams, templates with their sections,
factor categories, language rules, tags, post-mortems with every part (sections, timeline, factors,
action items, amendments, revisions, coach dismissals and findings, records of uploaded images),
related links, and reading lists with their items and read marks. `restore_archive(data)` writes it
into a freshly migrated database.

Incident times and timeline events out of range (1970 … a year from now), as an archive made
before they were checked may hold, are repaired the way migration repair_times_out_of_range
repairs a database, each named in the report's warnings: a restore gives what upgrading the
database the archive came from gives, and an old backup still restores.

References are by natural key (usernames, slugs, names), so the archive does not depend on the
ids of the database it came from. Content keeps its ids all the same (post-mortems, their parts,
teams, reading lists …), so links that carry an id keep working after a move; on PostgreSQL the id
sequences are moved past the restored rows. What migrations ship (groups, templates, factor
categories, language rules) is matched by name or slug and made equal to the archive.

Left out on purpose: sessions, the admin's change log, sign-in failures and rate-limit counts (not
content), and the search index, which is rebuilt from the restored post-mortems.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from knowledge import search
from knowledge.models import ReadingList, ReadingListItem, ReadMark, RelatedLink, Synonym
from postmortems.models import (
    ActionItem,
    Amendment,
    ContributingFactor,
    FactorCategory,
    FindingDismissal,
    LanguageFinding,
    LanguageRule,
    PostMortem,
    Profile,
    Revision,
    Section,
    Team,
    Template,
    TemplateSection,
    TimelineEvent,
    Upload,
    utc_text,
)
from postmortems.weblinks import move_refused_link

FORMAT = "hindsight-archive"
VERSION = 1

# Every model is either carried by the archive, rebuilt from it, or deliberately left out;
# tests/knowledge/test_archive.py fails when a new model is none of these.
ARCHIVED_MODELS = {
    "auth.User", "auth.Group", "taggit.Tag", "taggit.TaggedItem", "postmortems.Profile", "postmortems.Team",
    "postmortems.Template", "postmortems.TemplateSection", "postmortems.PostMortem", "postmortems.Section",
    "postmortems.TimelineEvent", "postmortems.FactorCategory", "postmortems.ContributingFactor",
    "postmortems.ActionItem", "postmortems.Revision", "postmortems.LanguageRule", "postmortems.FindingDismissal",
    "postmortems.LanguageFinding", "postmortems.Amendment", "postmortems.Upload", "knowledge.RelatedLink",
    "knowledge.ReadingList",
    "knowledge.ReadingListItem", "knowledge.ReadMark", "knowledge.Synonym",
    "postmortems.Comment", "postmortems.ReviewRequest", "postmortems.Follow", "postmortems.NotificationPreference",
}
REBUILT_MODELS = {"knowledge.SearchDocument", "knowledge.SearchFacts", "knowledge.SearchTerm"}
LEFT_OUT_MODELS = {
    "admin.LogEntry", "sessions.Session", "contenttypes.ContentType",
    "auth.Permission",  # referred to by (app label, codename); created by migrate
    # Sign-in throttling and rate limits: counts that expire within minutes, not content.
    "axes.AccessAttempt", "axes.AccessAttemptExpiration", "axes.AccessFailureLog", "axes.AccessLog",
    "postmortems.RateCounter",
    "postmortems.LibraryVersion",  # a cache key's version: restoring rebuilds the index, which gives a new one
    # Notifications and their emails: what was told, not content; a restore must not send them again.
    "postmortems.Notification", "postmortems.OutboxMessage",
    # Credentials and integration set-up: an archive carries no secrets; tokens and webhooks are made again
    # on the new site (its incident links only point webhooks at drafts).
    "postmortems.ApiToken", "postmortems.IncidentWebhook", "postmortems.IncidentLink",
}


class ArchiveError(Exception):
    """The archive cannot be restored here; the message says why."""


def _dt(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    return value.isoformat()


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _username(user) -> str | None:
    return user.username if user is not None else None


def _permissions(permissions: Iterable[Permission]) -> list[list[str]]:
    return sorted([p.content_type.app_label, p.codename] for p in permissions)


# ---------------------------------------------------------------- export


def build_archive() -> dict:
    """Return everything in the database as plain JSON-ready data."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _dt(timezone.now()),
        "groups": [
            {"name": g.name, "permissions": _permissions(g.permissions.all())}
            for g in Group.objects.prefetch_related("permissions__content_type").order_by("name")
        ],
        "users": [_user(u) for u in User.objects.prefetch_related(
            "groups", "user_permissions__content_type").select_related("profile").order_by("username")],
        "teams": [{"id": t.pk, "name": t.name, "slug": t.slug} for t in Team.objects.order_by("pk")],
        "templates": [_template(t) for t in Template.objects.prefetch_related("sections").order_by("pk")],
        "factor_categories": [
            {"name": c.name, "slug": c.slug, "description": c.description, "position": c.position}
            for c in FactorCategory.objects.order_by("pk")
        ],
        "language_rules": [
            {"slug": r.slug, "pattern": r.pattern, "is_regex": r.is_regex, "category": r.category,
             "message": r.message, "suggestion": r.suggestion, "section_kinds": r.section_kinds, "enabled": r.enabled}
            for r in LanguageRule.objects.order_by("pk")
        ],
        "tags": [{"name": t.name, "slug": t.slug} for t in Tag.objects.order_by("pk")],
        "synonyms": [{"terms": s.terms, "note": s.note} for s in Synonym.objects.order_by("pk")],
        "postmortems": [_postmortem(pm) for pm in _postmortems()],
        "related_links": [
            {"id": link.pk, "source": link.source.slug, "target": link.target.slug, "note": link.note,
             "created_by": _username(link.created_by), "created_at": _dt(link.created_at)}
            for link in RelatedLink.objects.select_related("source", "target", "created_by").order_by("pk")
        ],
        "reading_lists": [_reading_list(rl) for rl in ReadingList.objects.select_related("created_by").prefetch_related(
            "items__postmortem", "items__read_marks__user").order_by("pk")],
        **_conversation(),
    }


def _conversation() -> dict:
    """Comments, reviewers, follows and notification preferences (see postmortems/comments.py and reviews.py)."""
    from postmortems.models import Comment, Follow, NotificationPreference, ReviewRequest

    return {
        "comments": [
            {"id": c.pk, "postmortem": c.postmortem.slug, "parent": c.parent_id, "author": _username(c.author),
             "anchor": c.anchor, "anchor_id": c.anchor_id, "quote": c.quote, "body": c.body,
             "open_to_readers": c.open_to_readers, "created_at": _dt(c.created_at), "edited_at": _dt(c.edited_at),
             "deleted_at": _dt(c.deleted_at), "resolved_at": _dt(c.resolved_at),
             "resolved_by": _username(c.resolved_by)}
            for c in Comment.objects.select_related("postmortem", "author", "resolved_by").order_by("pk")
        ],
        "review_requests": [
            {"id": r.pk, "postmortem": r.postmortem.slug, "reviewer": r.reviewer.username,
             "requested_by": _username(r.requested_by), "state": r.state, "note": r.note,
             "requested_at": _dt(r.requested_at), "decided_at": _dt(r.decided_at)}
            for r in ReviewRequest.objects.select_related("postmortem", "reviewer", "requested_by").order_by("pk")
        ],
        "follows": [
            {"user": f.user.username, "postmortem": f.postmortem.slug if f.postmortem else None,
             "team": f.team.slug if f.team else None, "tag": f.tag.name if f.tag else None,
             "created_at": _dt(f.created_at)}
            for f in Follow.objects.select_related("user", "postmortem", "team", "tag").order_by("pk")
        ],
        "notification_preferences": [
            {"user": p.user.username, "kind": p.kind, "delivery": p.delivery}
            for p in NotificationPreference.objects.select_related("user").order_by("pk")
        ],
    }


def _restore_conversation(data: dict, users, teams, tags, postmortems) -> None:
    """Restore what `_conversation` wrote (archives made before comments existed have none of it)."""
    from postmortems.models import Comment, Follow, NotificationPreference, ReviewRequest

    def user(name):
        return users[name] if name else None

    Comment.objects.bulk_create([
        Comment(id=c["id"], postmortem=postmortems[c["postmortem"]], parent_id=c["parent"], author=user(c["author"]),
                anchor=c["anchor"], anchor_id=c["anchor_id"], quote=c["quote"], body=c["body"],
                open_to_readers=c["open_to_readers"], created_at=_parse_dt(c["created_at"]),
                edited_at=_parse_dt(c["edited_at"]), deleted_at=_parse_dt(c["deleted_at"]),
                resolved_at=_parse_dt(c["resolved_at"]), resolved_by=user(c["resolved_by"]))
        for c in sorted(data.get("comments", []), key=lambda c: c["id"])  # a thread before its replies
    ], batch_size=1000)
    ReviewRequest.objects.bulk_create([
        ReviewRequest(id=r["id"], postmortem=postmortems[r["postmortem"]], reviewer=users[r["reviewer"]],
                      requested_by=user(r["requested_by"]), state=r["state"], note=r["note"],
                      requested_at=_parse_dt(r["requested_at"]), decided_at=_parse_dt(r["decided_at"]))
        for r in data.get("review_requests", [])
    ], batch_size=1000)
    Follow.objects.bulk_create([
        Follow(user=users[f["user"]], postmortem=postmortems[f["postmortem"]] if f["postmortem"] else None,
               team=teams[f["team"]] if f["team"] else None, tag=tags[f["tag"]] if f["tag"] else None,
               created_at=_parse_dt(f["created_at"]))
        for f in data.get("follows", [])
    ], batch_size=1000)
    NotificationPreference.objects.bulk_create([
        NotificationPreference(user=users[p["user"]], kind=p["kind"], delivery=p["delivery"])
        for p in data.get("notification_preferences", [])
    ], batch_size=1000)


def _user(user: User) -> dict:
    try:
        profile = user.profile
    except Profile.DoesNotExist:
        profile = None
    return {
        "username": user.username, "password": user.password, "email": user.email,
        "first_name": user.first_name, "last_name": user.last_name, "is_active": user.is_active,
        "is_staff": user.is_staff, "is_superuser": user.is_superuser, "date_joined": _dt(user.date_joined),
        "last_login": _dt(user.last_login), "groups": sorted(g.name for g in user.groups.all()),
        "permissions": _permissions(user.user_permissions.all()),
        "profile": {"time_zone": profile.time_zone, "feed_token": profile.feed_token} if profile else None,
    }


def _template(template: Template) -> dict:
    return {
        "name": template.name, "slug": template.slug, "description": template.description,
        "is_active": template.is_active, "position": template.position,
        "sections": [
            {"id": s.pk, "position": s.position, "heading": s.heading, "guidance": s.guidance, "kind": s.kind,
             "required": s.required}
            for s in sorted(template.sections.all(), key=lambda s: s.pk)
        ],
    }


def _postmortems():
    return PostMortem.objects.select_related("facilitator", "template").prefetch_related(
        "teams", "tags", "authors", "sections", "timeline_events", "factors__category", "action_items__owner",
        "revisions__user", "dismissals__user", "language_findings", "amendments__created_by",
        "amendments__published_by", "uploads__uploaded_by",
    ).order_by("pk")


def _postmortem(pm: PostMortem) -> dict:
    def by_pk(rows):
        return sorted(rows, key=lambda row: row.pk)

    return {
        "id": pm.pk, "title": pm.title, "slug": pm.slug, "summary": pm.summary, "severity": pm.severity,
        "status": pm.status, "status_changed_at": _dt(pm.status_changed_at), "started_at": _dt(pm.started_at),
        "detected_at": _dt(pm.detected_at), "mitigated_at": _dt(pm.mitigated_at),
        "resolved_at": _dt(pm.resolved_at), "facilitator": _username(pm.facilitator),
        "restricted": pm.restricted, "template": pm.template.slug if pm.template else None,
        "published_at": _dt(pm.published_at), "version": pm.version, "created_at": _dt(pm.created_at),
        "updated_at": _dt(pm.updated_at), "source_path": pm.source_path, "source_checksum": pm.source_checksum,
        "teams": sorted(t.slug for t in pm.teams.all()),
        "tags": sorted(t.name for t in pm.tags.all()),
        "authors": sorted(u.username for u in pm.authors.all()),
        "sections": [
            {"id": s.pk, "position": s.position, "heading": s.heading, "guidance": s.guidance, "kind": s.kind,
             "required": s.required, "body": s.body}
            for s in by_pk(pm.sections.all())
        ],
        "timeline": [
            {"id": e.pk, "occurred_at": _dt(e.occurred_at), "kind": e.kind, "description": e.description,
             "evidence_url": e.evidence_url}
            for e in by_pk(pm.timeline_events.all())
        ],
        "factors": [
            {"id": f.pk, "category": f.category.slug, "description": f.description, "position": f.position}
            for f in by_pk(pm.factors.all())
        ],
        "action_items": [
            {"id": a.pk, "title": a.title, "description": a.description, "kind": a.kind, "priority": a.priority,
             "owner": _username(a.owner), "due_date": _dt(a.due_date), "status": a.status,
             "wont_do_reason": a.wont_do_reason, "tracker_url": a.tracker_url,
             "completed_at": _dt(a.completed_at), "created_at": _dt(a.created_at)}
            for a in by_pk(pm.action_items.all())
        ],
        "amendments": [
            {"id": a.pk, "status": a.status, "document": a.document, "base_document": a.base_document,
             "base_version": a.base_version, "created_by": _username(a.created_by), "created_at": _dt(a.created_at),
             "updated_at": _dt(a.updated_at), "submitted_at": _dt(a.submitted_at),
             "published_by": _username(a.published_by), "published_at": _dt(a.published_at),
             "published_version": a.published_version, "closed_at": _dt(a.closed_at)}
            for a in by_pk(pm.amendments.all())
        ],
        "revisions": [
            {"id": r.pk, "version": r.version, "user": _username(r.user), "created_at": _dt(r.created_at),
             "action": r.action, "comment": r.comment, "snapshot": r.snapshot, "amendment": r.amendment_id}
            for r in by_pk(pm.revisions.all())
        ],
        "dismissals": [
            {"id": d.pk, "rule_slug": d.rule_slug, "location": d.location, "text": d.text, "reason": d.reason,
             "user": _username(d.user), "version": d.version, "created_at": _dt(d.created_at)}
            for d in by_pk(pm.dismissals.all())
        ],
        "findings": [
            {"id": f.pk, "rule_slug": f.rule_slug, "category": f.category, "location": f.location, "text": f.text,
             "start": f.start, "end": f.end, "message": f.message, "suggestion": f.suggestion,
             "created_at": _dt(f.created_at)}
            for f in by_pk(pm.language_findings.all())
        ],
        # The image files themselves stay in MEDIA_ROOT (copy it along); these say whose they are.
        "uploads": [
            {"id": u.pk, "path": u.path, "uploaded_by": _username(u.uploaded_by), "uploaded_at": _dt(u.uploaded_at)}
            for u in by_pk(pm.uploads.all())
        ],
    }


def _reading_list(rl: ReadingList) -> dict:
    return {
        "id": rl.pk, "title": rl.title, "slug": rl.slug, "description": rl.description,
        "for_new_hires": rl.for_new_hires, "position": rl.position, "created_by": _username(rl.created_by),
        "created_at": _dt(rl.created_at),
        "items": [
            {"id": item.pk, "postmortem": item.postmortem.slug, "position": item.position, "note": item.note,
             "read_marks": [
                 {"id": m.pk, "user": m.user.username, "read_at": _dt(m.read_at)}
                 for m in sorted(item.read_marks.all(), key=lambda m: m.pk)
             ]}
            for item in sorted(rl.items.all(), key=lambda i: i.pk)
        ],
    }


# ---------------------------------------------------------------- restore


def check_archive(data) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError("This is not a Hindsight archive (made by manage.py export_archive).")
    if data.get("version") != VERSION:
        raise ArchiveError(f"This archive is version {data.get('version')}; this Hindsight reads version {VERSION}.")


def check_empty() -> None:
    """Refuse to restore over content: a restore reproduces an archive, it does not merge into one."""
    for model, what in ((PostMortem, "post-mortems"), (Team, "teams"), (ReadingList, "reading lists"),
                        (Tag, "tags")):
        if model.objects.exists():
            raise ArchiveError(
                f"This database already holds {what}. Restore into an empty database: "
                "create a new one and run `manage.py migrate` first."
            )


@dataclass
class RestoreReport:
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def restore_archive(data: dict) -> RestoreReport:
    """Write the archive `data` into this (freshly migrated) database; return counts of what was restored."""
    check_archive(data)
    check_empty()
    warnings: list[str] = []
    groups = _restore_groups(data["groups"], warnings)
    users = _restore_users(data["users"], groups, warnings)
    teams = _restore_teams(data["teams"])
    templates = _restore_templates(data["templates"])
    categories = _restore_categories(data["factor_categories"])
    _restore_rules(data["language_rules"])
    _restore_synonyms(data.get("synonyms"))
    tags = {t.name: t for t in Tag.objects.bulk_create(Tag(name=t["name"], slug=t["slug"]) for t in data["tags"])}
    postmortems = _restore_postmortems(data["postmortems"], users, teams, templates, categories, tags, warnings)
    _restore_library(data, users, postmortems)
    _restore_conversation(data, users, teams, tags, postmortems)
    _reset_sequences()
    _rebuild_search_index()
    counts = {
        "users": len(data["users"]), "teams": len(teams), "templates": len(templates),
        "post-mortems": len(postmortems), "revisions": sum(len(p["revisions"]) for p in data["postmortems"]),
        "reading lists": len(data["reading_lists"]), "related links": len(data["related_links"]),
    }
    return RestoreReport(counts=counts, warnings=warnings)


def _permission_objects(pairs: list[list[str]], warnings: list[str]) -> list[Permission]:
    known = {(p.content_type.app_label, p.codename): p for p in Permission.objects.select_related("content_type")}
    found = []
    for app_label, codename in pairs:
        permission = known.get((app_label, codename))
        if permission is None:
            warnings.append(f"permission {app_label}.{codename} does not exist here; left out")
        else:
            found.append(permission)
    return found


def _restore_groups(rows: list[dict], warnings: list[str]) -> dict[str, Group]:
    groups = {}
    for row in rows:
        group, _ = Group.objects.get_or_create(name=row["name"])
        group.permissions.set(_permission_objects(row["permissions"], warnings))
        groups[group.name] = group
    Group.objects.exclude(name__in=list(groups)).delete()
    return groups


def _restore_users(rows: list[dict], groups: dict[str, Group], warnings: list[str]) -> dict[str, User]:
    users = {}
    for row in rows:
        user = User.objects.filter(username=row["username"]).first() or User(username=row["username"])
        for name in ("password", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"):
            setattr(user, name, row[name])
        user.date_joined = _parse_dt(row["date_joined"])
        user.last_login = _parse_dt(row["last_login"])
        user.save()
        user.groups.set([groups[name] for name in row["groups"] if name in groups])
        user.user_permissions.set(_permission_objects(row["permissions"], warnings))
        if row["profile"] is not None:
            Profile.objects.update_or_create(user=user, defaults=row["profile"])
        else:
            Profile.objects.filter(user=user).delete()
        users[user.username] = user
    return users


def _restore_teams(rows: list[dict]) -> dict[str, Team]:
    return {t.slug: t for t in Team.objects.bulk_create(Team(id=r["id"], name=r["name"], slug=r["slug"]) for r in rows)}


def _restore_templates(rows: list[dict]) -> dict[str, Template]:
    TemplateSection.objects.all().delete()
    templates = {}
    for row in rows:
        fields = {k: row[k] for k in ("name", "description", "is_active", "position")}
        template, _ = Template.objects.update_or_create(slug=row["slug"], defaults=fields)
        templates[template.slug] = template
    Template.objects.exclude(slug__in=list(templates)).delete()
    TemplateSection.objects.bulk_create(
        TemplateSection(template=templates[row["slug"]], **section) for row in rows for section in row["sections"]
    )
    return templates


def _restore_categories(rows: list[dict]) -> dict[str, FactorCategory]:
    categories = {}
    for row in rows:
        fields = {k: row[k] for k in ("name", "description", "position")}
        # A name may move between slugs in the archive; clear it first so the unique name never clashes.
        FactorCategory.objects.filter(name=row["name"]).exclude(slug=row["slug"]).update(name=f"~{row['slug']}")
        category, _ = FactorCategory.objects.update_or_create(slug=row["slug"], defaults=fields)
        categories[category.slug] = category
    FactorCategory.objects.exclude(slug__in=list(categories)).delete()
    return categories


def _restore_synonyms(rows: list[dict] | None) -> None:
    """Replace the shipped synonyms with the archived ones (an archive from before synonyms keeps the shipped)."""
    if rows is None:
        return
    Synonym.objects.all().delete()
    Synonym.objects.bulk_create(Synonym(terms=str(row["terms"])[:300], note=str(row.get("note", ""))[:200])
                                for row in rows)


def _restore_rules(rows: list[dict]) -> None:
    slugs = []
    for row in rows:
        LanguageRule.objects.update_or_create(slug=row["slug"], defaults={k: v for k, v in row.items() if k != "slug"})
        slugs.append(row["slug"])
    LanguageRule.objects.exclude(slug__in=slugs).delete()


def _restore_postmortems(rows, users, teams, templates, categories, tags, warnings) -> dict[str, PostMortem]:
    user = users.get
    postmortems = []
    now = timezone.now()
    for row in rows:
        postmortems.append(PostMortem(
            id=row["id"], title=row["title"], slug=row["slug"], summary=row["summary"], severity=row["severity"],
            status=row["status"], status_changed_at=_parse_dt(row["status_changed_at"]),
            started_at=_parse_dt(row["started_at"]), detected_at=_parse_dt(row["detected_at"]),
            mitigated_at=_parse_dt(row["mitigated_at"]), resolved_at=_parse_dt(row["resolved_at"]),
            facilitator=user(row["facilitator"]) if row["facilitator"] else None, restricted=row["restricted"],
            template=templates.get(row["template"]) if row["template"] else None,
            published_at=_parse_dt(row["published_at"]), version=row["version"],
            created_at=_parse_dt(row["created_at"]), updated_at=_parse_dt(row["updated_at"]),
            source_path=row["source_path"], source_checksum=row["source_checksum"],
        ))
    for pm in postmortems:
        _repair_incident_times(pm, now, warnings)
    PostMortem.objects.bulk_create(postmortems, batch_size=500)
    # bulk_create stamps auto_now fields with the current time; put the archived times back.
    for pm, row in zip(postmortems, rows, strict=True):
        pm.created_at, pm.updated_at = _parse_dt(row["created_at"]), _parse_dt(row["updated_at"])
    PostMortem.objects.bulk_update(postmortems, ["created_at", "updated_at"], batch_size=500)

    content_type = ContentType.objects.get_for_model(PostMortem)
    team_links, author_links, tagged = [], [], []
    sections, events, factors, items, revisions, dismissals, findings, uploads = [], [], [], [], [], [], [], []
    amendments = []
    for pm, row in zip(postmortems, rows, strict=True):
        team_links += [PostMortem.teams.through(postmortem_id=pm.pk, team=teams[s]) for s in row["teams"]]
        author_links += [PostMortem.authors.through(postmortem_id=pm.pk, user=users[u]) for u in row["authors"]]
        tagged += [TaggedItem(tag=tags[name], content_type=content_type, object_id=pm.pk) for name in row["tags"]]
        sections += [Section(postmortem_id=pm.pk, **s) for s in row["sections"]]
        for e in row["timeline"]:
            events.append(TimelineEvent(postmortem_id=pm.pk, **{**e, "occurred_at": _parse_dt(e["occurred_at"])}))
            _repair_event(events[-1], pm, now, warnings)
        factors += [ContributingFactor(postmortem_id=pm.pk, id=f["id"], category=categories[f["category"]],
                                       description=f["description"], position=f["position"]) for f in row["factors"]]
        items += [ActionItem(
            postmortem_id=pm.pk, **{**a, "owner": user(a["owner"]) if a["owner"] else None,
                                    "due_date": _parse_date(a["due_date"]),
                                    "completed_at": _parse_dt(a["completed_at"]),
                                    "created_at": _parse_dt(a["created_at"])})
            for a in row["action_items"]]
        amendments += [Amendment(
            postmortem_id=pm.pk, **{**a, "created_by": user(a["created_by"]) if a["created_by"] else None,
                                    "published_by": user(a["published_by"]) if a["published_by"] else None,
                                    **{k: _parse_dt(a[k]) for k in ("created_at", "updated_at", "submitted_at",
                                                                    "published_at", "closed_at")}})
            for a in row.get("amendments", [])]  # archives made before amendments have none
        revisions += [Revision(postmortem_id=pm.pk, **{**{k: v for k, v in r.items() if k != "amendment"},
                                                        "amendment_id": r.get("amendment"),
                                                        "user": user(r["user"]) if r["user"] else None,
                                                        "created_at": _parse_dt(r["created_at"])})
                      for r in row["revisions"]]
        dismissals += [FindingDismissal(postmortem_id=pm.pk, **{**d, "user": user(d["user"]) if d["user"] else None,
                                                                 "created_at": _parse_dt(d["created_at"])})
                       for d in row["dismissals"]]
        findings += [LanguageFinding(postmortem_id=pm.pk, **{**f, "created_at": _parse_dt(f["created_at"])})
                     for f in row["findings"]]
        uploads += [Upload(postmortem_id=pm.pk, id=u["id"], path=u["path"], uploaded_at=_parse_dt(u["uploaded_at"]),
                           uploaded_by=user(u["uploaded_by"]) if u["uploaded_by"] else None)
                    for u in row.get("uploads", [])]  # archives written before uploads were recorded have none
    moved = sum(move_refused_link(e, "evidence_url", "description", "Evidence") for e in events)
    moved += sum(move_refused_link(a, "tracker_url", "description", "Tracker") for a in items)
    if moved:
        warnings.append(f"{moved} tracker or evidence link{'s' if moved != 1 else ''} not http/https: "
                        "removed, and kept as text in the description")
    for model, objects in (
        (PostMortem.teams.through, team_links), (PostMortem.authors.through, author_links), (TaggedItem, tagged),
        (Section, sections), (TimelineEvent, events), (ContributingFactor, factors), (ActionItem, items),
        (Amendment, amendments), (Revision, revisions), (FindingDismissal, dismissals), (LanguageFinding, findings),
        (Upload, uploads),
    ):
        model.objects.bulk_create(objects, batch_size=1000)
    return {pm.slug: pm for pm in postmortems}


def _repair_incident_times(pm: PostMortem, now: datetime, warnings: list[str]) -> None:
    for name, value in pm.clear_times_out_of_range(now).items():
        label = PostMortem._meta.get_field(name).verbose_name
        warnings.append(f"post-mortem {pm.slug}: {label} {utc_text(value)} was out of range; left empty "
                        "(the editor asks for it again)")


def _repair_event(event: TimelineEvent, pm: PostMortem, now: datetime, warnings: list[str]) -> None:
    recorded = event.occurred_at
    if event.move_into_range(now):
        warnings.append(f"post-mortem {pm.slug}: timeline event at {utc_text(recorded)} was out of range; "
                        f"moved to {utc_text(event.occurred_at)}, with a note in its description")


def _restore_library(data: dict, users: dict[str, User], postmortems: dict[str, PostMortem]) -> None:
    def user(name):
        return users[name] if name else None

    RelatedLink.objects.bulk_create(
        RelatedLink(id=r["id"], source=postmortems[r["source"]], target=postmortems[r["target"]], note=r["note"],
                    created_by=user(r["created_by"]), created_at=_parse_dt(r["created_at"]))
        for r in data["related_links"]
    )
    lists, items, marks = [], [], []
    for row in data["reading_lists"]:
        lists.append(ReadingList(
            id=row["id"], title=row["title"], slug=row["slug"], description=row["description"],
            for_new_hires=row["for_new_hires"], position=row["position"], created_by=user(row["created_by"]),
            created_at=_parse_dt(row["created_at"]),
        ))
        for item in row["items"]:
            items.append(ReadingListItem(id=item["id"], reading_list_id=row["id"],
                                         postmortem=postmortems[item["postmortem"]], position=item["position"],
                                         note=item["note"]))
            marks += [ReadMark(id=m["id"], item_id=item["id"], user=users[m["user"]], read_at=_parse_dt(m["read_at"]))
                      for m in item["read_marks"]]
    ReadingList.objects.bulk_create(lists)
    ReadingListItem.objects.bulk_create(items, batch_size=1000)
    ReadMark.objects.bulk_create(marks, batch_size=1000)


def _conversation_models() -> list:
    from postmortems.models import Comment, Follow, NotificationPreference, ReviewRequest

    return [Comment, ReviewRequest, Follow, NotificationPreference]


def _reset_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids the restore wrote (SQLite needs nothing)."""
    models = [Team, TemplateSection, PostMortem, Section, TimelineEvent, ContributingFactor, ActionItem, Amendment,
              Revision, FindingDismissal, LanguageFinding, Upload, RelatedLink, ReadingList, ReadingListItem, ReadMark,
              *_conversation_models()]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _rebuild_search_index() -> None:
    rebuild = getattr(search, "rebuild_index", None)
    if rebuild is not None:
        rebuild()
        return
    for postmortem in PostMortem.objects.all():
        search.index_postmortem(postmortem)
