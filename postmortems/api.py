"""The JSON API under /api/v1/ (django-ninja): the post-mortem endpoints, its authentication and its errors.

Every endpoint is a plain function over the same access helpers, QuerySets and services as the pages,
so visibility, roles, restriction, amendments, the coach's gate and revisions hold alike. The library's
endpoints (search, tags, similar incidents) are added by knowledge/api.py, since knowledge depends on
postmortems and not the other way round.

Authentication: a personal token (`Authorization: Bearer hs_…`, see ApiToken) or the site's session
(for the site's own scripts; writes then need the CSRF token). Errors are problem details
(RFC 9457, `application/problem+json`). Each token (or session user) is rate limited (RATE_LIMIT_API
calls a minute, 429 with Retry-After).

Just over 500 lines: the schemas and operations of one resource (post-mortems with their timeline and
action items) and the authentication and error handling they share. Incoming webhooks live apart
(webhooks.py).
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status as Reply
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator

from postmortems import ratelimit, services
from postmortems.access import can_edit, get_action_item_for, get_postmortem_for
from postmortems.forms import MAX_EVENTS, NewPostMortemForm
from postmortems.interchange.exporter import postmortem_to_markdown
from postmortems.markdown import MAX_FIELD_CHARS, MAX_SECTION_CHARS, MarkdownValidator
from postmortems.models import (
    ActionItem,
    ActionStatus,
    ApiToken,
    EventKind,
    PostMortem,
    Severity,
    Status,
    Template,
    TimelineEvent,
    incident_time_error,
)
from postmortems.roles import is_author

PER_PAGE = 25
MAX_BATCH = 500  # timeline events appended in one call; the editor holds MAX_EVENTS in all
LAST_USED_EVERY = 60  # seconds: a token's last-used time is written at most once a minute


# --- Input checks shared by the schemas --------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


def _markdown(limit: int):
    """Return a check of Markdown text by the models' own validator (length and structure limits)."""
    validator = MarkdownValidator(limit)

    def check(value: str) -> str:
        try:
            validator(value)
        except DjangoValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        return value

    return AfterValidator(check)


SectionText = Annotated[Text, _markdown(MAX_SECTION_CHARS)]
FieldText = Annotated[Text, _markdown(MAX_FIELD_CHARS)]
Slug = Annotated[str, Path(..., pattern=r"^[-a-zA-Z0-9_]+$", max_length=220)]


# --- Authentication and rate limits ------------------------------------------------------------------


class RateLimited(Exception):
    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def _spend(scope: str, key: int) -> None:
    wait = ratelimit.spend(scope=scope, user_id=key, limit=settings.RATE_LIMITS["api"])
    if wait:
        raise RateLimited(wait)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <personal token>`; the request then acts as the token's owner."""

    def authenticate(self, request, token):
        api_token = ApiToken.objects.for_secret(token)
        if api_token is None:
            return None
        _spend("api_token", api_token.pk)
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token
        return api_token


class SessionAuth(APIKeyCookie):
    """The site's session cookie, for its own scripts; writes need the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        _spend("api_session", request.user.pk)
        request.api_token = None
        return request.user


api = NinjaAPI(
    title="Hindsight API",
    version="1",
    description="Blameless post-mortems: read, search and write them. Authenticate with a personal token "
    "(Authorization: Bearer hs_…, created on your profile page).",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api_v1",
    docs_url=None,  # the docs page is Hindsight's own (knowledge/api.py: api_docs), within the CSP
)


def writer(request) -> None:
    """Refuse a write made with a read-only token."""
    token = getattr(request, "api_token", None)
    if token is not None and not token.can_write:
        raise PermissionDenied("This token is read-only; create a read and write token to change things.")


# --- Problem details ---------------------------------------------------------------------------------


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""


def problem(request, status: int, title: str, detail: str = "", **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    errors = [{"loc": [str(part) for part in e.get("loc", [])], "msg": str(e.get("msg", ""))} for e in exc.errors]
    return problem(request, 422, "Invalid request", "; ".join(e["msg"] for e in errors[:5]), errors=errors[:50])


@api.exception_handler(DjangoValidationError)
def _refused(request, exc):
    return problem(request, 400, "Not saved", " ".join(exc.messages))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = problem(request, 401, "Not authenticated",
                       "Send a valid personal token as `Authorization: Bearer <token>`.")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(request, 403, "Forbidden", str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, 404, "Not found", "Nothing here, or nothing you may see.")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return problem(request, exc.status_code, str(exc) or "Error", str(exc))


@api.exception_handler(RateLimited)
def _rate_limited(request, exc):
    response = problem(request, 429, "Too many requests",
                       f"Limit of {settings.RATE_LIMITS['api']} calls a minute reached; "
                       f"try again in {ratelimit.seconds(exc.wait)}.")
    response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(services.EditConflict)
def _conflict(request, exc):
    return problem(request, 409, "Edit conflict",
                   "Someone else changed the same things since your version; nothing was saved. "
                   "Read the post-mortem again and re-apply your change.",
                   version=exc.version, conflicts=[c.key for c in exc.conflicts])


# --- Schemas -----------------------------------------------------------------------------------------


class PostMortemSummary(Schema):
    slug: str
    title: str
    severity: str
    status: str
    restricted: bool
    started_at: datetime | None
    published_at: datetime | None
    teams: list[str]
    tags: list[str]
    url: str


class SectionOut(Schema):
    id: int
    heading: str
    kind: str
    required: bool
    body: str


class EventOut(Schema):
    id: int | None
    when: str | None
    kind: str
    description: str
    evidence_url: str


class FactorOut(Schema):
    id: int | None
    category: str
    description: str


class ActionItemOut(Schema):
    id: int
    postmortem: str
    title: str
    description: str
    kind: str
    priority: str
    owner: str | None
    due_date: date | None
    status: str
    wont_do_reason: str
    tracker_url: str


class LinkOut(Schema):
    slug: str
    title: str
    note: str


class AmendmentOut(Schema):
    id: int
    status: str
    document: dict


class PostMortemDetail(PostMortemSummary):
    summary: str
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    version: int
    authors: list[str]
    sections: list[SectionOut]
    timeline: list[EventOut]
    factors: list[FactorOut]
    action_items: list[ActionItemOut]
    links: list[LinkOut]
    amendment: AmendmentOut | None = Field(None, description="The pending amendment, for its authors and facilitators.")


class PostMortemPage(Schema):
    page: int
    per_page: int
    total: int
    items: list[PostMortemSummary]


class ActionItemPage(Schema):
    page: int
    per_page: int
    total: int
    items: list[ActionItemOut]


class NewPostMortem(Schema):
    template: Text = Field(..., max_length=100, description="The template's slug.")
    title: Text = Field(..., min_length=1, max_length=200)
    severity: Severity = Severity.SEV3
    started_at: datetime
    restricted: bool = False


class SectionIn(Schema):
    id: int
    heading: Text | None = Field(None, max_length=200)
    body: SectionText


class PostMortemUpdate(Schema):
    version: int = Field(..., ge=0, description="The version you read; changes since are merged, clashes are 409.")
    title: Text | None = Field(None, min_length=1, max_length=200)
    summary: FieldText | None = None
    severity: Severity | None = None
    sections: list[SectionIn] = Field([], max_length=200)
    submit: bool = Field(False, description="Send the draft (or the amendment) to review in the same save.")


class EventIn(Schema):
    when: datetime
    kind: EventKind = EventKind.OBSERVATION
    description: FieldText = Field(..., min_length=1)
    evidence_url: Text = Field("", max_length=500)


class TimelineAppend(Schema):
    version: int = Field(..., ge=0)
    events: list[EventIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class ActionItemUpdate(Schema):
    version: int | None = Field(None, ge=0, description="Needed to change the owner or due date (an edit of the text).")
    status: ActionStatus | None = None
    reason: Text = Field("", max_length=5_000, description="Why it will not be done (needed for wont_do).")
    owner: Text | None = Field(None, max_length=150, description="A username; empty string for nobody.")
    due_date: date | None = None
    clear_due_date: bool = False


class Saved(Schema):
    version: int
    saved: bool
    amendment: bool = Field(..., description="The change went into the pending amendment (the text is published).")


# --- Serialising -------------------------------------------------------------------------------------


def summary_of(pm: PostMortem) -> dict:
    return {
        "slug": pm.slug, "title": pm.title, "severity": pm.severity, "status": pm.status,
        "restricted": pm.restricted, "started_at": pm.started_at, "published_at": pm.published_at,
        "teams": sorted(t.name for t in pm.teams.all()), "tags": sorted(t.name for t in pm.tags.all()),
        "url": pm.get_absolute_url(),
    }


def action_item_of(item: ActionItem, slug: str) -> dict:
    return {
        "id": item.pk, "postmortem": slug, "title": item.title, "description": item.description,
        "kind": item.kind, "priority": item.priority, "owner": item.owner.username if item.owner else None,
        "due_date": item.due_date, "status": item.status, "wont_do_reason": item.wont_do_reason,
        "tracker_url": item.tracker_url,
    }


def detail_of(pm: PostMortem, user) -> dict:
    doc = services.document_of(pm)
    visible = PostMortem.objects.visible_to(user)
    links = [{"slug": link.target.slug, "title": link.target.title, "note": link.note}
             for link in pm.links_out.select_related("target").filter(target__in=visible)]
    amendment = services.pending_amendment(pm) if pm.shows_work_in_progress_to(user) else None
    return {
        **summary_of(pm), "summary": pm.summary, "detected_at": pm.detected_at, "mitigated_at": pm.mitigated_at,
        "resolved_at": pm.resolved_at, "version": pm.version, "authors": doc["authors"],
        "sections": [{"id": s.pk, "heading": s.heading, "kind": s.kind, "required": s.required, "body": s.body}
                     for s in pm.sections.all()],
        "timeline": doc["timeline"], "factors": doc["factors"],
        "action_items": [action_item_of(a, pm.slug) for a in pm.action_items.select_related("owner")],
        "links": links,
        "amendment": {"id": amendment.pk, "status": amendment.status, "document": amendment.document}
        if amendment else None,
    }


def paginate(queryset, page: int) -> tuple[list, int]:
    total = queryset.count()
    start = (page - 1) * PER_PAGE
    return list(queryset[start:start + PER_PAGE]), total


def save_changes(*, request, postmortem: PostMortem, version: int, change, submit: bool = False) -> dict:
    """Apply `change(doc)` to the text the client read at `version` and save it as the editor does
    (postmortem_save: merged with what was saved since, 409 on a clash, into the amendment once published)."""
    amendment = services.pending_amendment(postmortem)
    base = services.base_snapshot(postmortem=postmortem, version=version,
                                  amendment_id=amendment.pk if amendment else None)
    document = services.documents.normalized(base if base is not None else services.working_document(postmortem)[0])
    change(document)
    result = services.postmortem_save(postmortem=postmortem, user=request.user, base_version=version,
                                      document=document, submit=submit)
    return {"version": result.version, "saved": result.revision is not None,
            "amendment": services.pending_amendment(postmortem) is not None}


def check_events(events: list[EventIn]) -> None:
    """Refuse events the editor would refuse: a time without its offset or out of range, a bad evidence link."""
    evidence = TimelineEvent._meta.get_field("evidence_url")
    for event in events:
        if event.when.tzinfo is None:
            raise DjangoValidationError("Give each event's time with its offset (e.g. 2026-01-02T10:00:00Z).")
        if message := incident_time_error(event.when):
            raise DjangoValidationError(message)
        if event.evidence_url:
            evidence.clean(event.evidence_url, None)


# --- Endpoints ---------------------------------------------------------------------------------------

router = Router(tags=["post-mortems"])
PROBLEMS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


@router.get("/postmortems", response={200: PostMortemPage, **PROBLEMS})
def postmortem_list(request, page: int = Query(1, ge=1, le=10_000), status: Status | None = None,
                    severity: Severity | None = None, tag: Text | None = Query(None, max_length=100)):
    """List the post-mortems you may see, newest incident first (drafts only if you may read them)."""
    postmortems = PostMortem.objects.visible_to(request.user)
    if status:
        postmortems = postmortems.filter(status=status)
    if severity:
        postmortems = postmortems.filter(severity=severity)
    if tag:
        postmortems = postmortems.filter(tags__slug=tag.lower())
    items, total = paginate(postmortems.with_list_data().order_by("-started_at", "-created_at", "-pk"), page)
    return {"page": page, "per_page": PER_PAGE, "total": total, "items": [summary_of(pm) for pm in items]}


@router.get("/postmortems/{slug}", response={200: PostMortemDetail, **PROBLEMS},
            openapi_extra={"responses": {"200": {"content": {"text/markdown": {"schema": {"type": "string"}}}}}})
def postmortem_get(request, slug: Slug, format: Literal["json", "markdown"] = "json"):  # noqa: A002
    """Return one post-mortem, structured, or with ?format=markdown as the Markdown export."""
    postmortem = get_postmortem_for(request, slug)
    if format == "markdown":
        return HttpResponse(postmortem_to_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    return detail_of(postmortem, request.user)


@router.post("/postmortems", response={201: PostMortemDetail, **PROBLEMS})
def postmortem_create(request, data: NewPostMortem):
    """Start a draft from a template, with you as its author (authors and facilitators)."""
    writer(request)
    if not is_author(request.user):
        raise PermissionDenied("Only authors and facilitators write post-mortems.")
    template = Template.objects.filter(slug=data.template, is_active=True).first()
    form = NewPostMortemForm({"template": template.pk if template else "", "title": data.title,
                              "severity": data.severity, "restricted": data.restricted,
                              "started_at": data.started_at})
    if not form.is_valid():
        raise DjangoValidationError([f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()])
    cleaned = form.cleaned_data
    postmortem = services.postmortem_create(
        user=request.user, template=cleaned["template"], title=cleaned["title"], severity=cleaned["severity"],
        started_at=data.started_at, restricted=cleaned["restricted"],
    )
    return Reply(201, detail_of(postmortem, request.user))


@router.patch("/postmortems/{slug}", response={200: Saved, **PROBLEMS})
def postmortem_update(request, slug: Slug, data: PostMortemUpdate):
    """Change the title, summary, severity or sections' text, as the editor saves (merge; 409 on a clash)."""
    writer(request)
    postmortem = get_postmortem_for(request, slug, write=True)

    def change(doc):
        for key in ("title", "summary", "severity"):
            if getattr(data, key) is not None:
                doc[key] = getattr(data, key)
        rows = {row["id"]: row for row in doc["sections"]}
        for section in data.sections:
            if section.id not in rows:
                raise DjangoValidationError(f"This post-mortem has no section {section.id}.")
            rows[section.id]["body"] = section.body
            if section.heading:
                rows[section.id]["heading"] = section.heading

    return save_changes(request=request, postmortem=postmortem, version=data.version, change=change,
                        submit=data.submit)


@router.post("/postmortems/{slug}/timeline", response={200: Saved, **PROBLEMS})
def timeline_append(request, slug: Slug, data: TimelineAppend):
    """Append timeline events (up to 500 a call; 3,000 in all, as in the editor)."""
    writer(request)
    postmortem = get_postmortem_for(request, slug, write=True)

    def change(doc):
        if len(doc["timeline"]) + len(data.events) > MAX_EVENTS:
            raise DjangoValidationError(f"A timeline holds {MAX_EVENTS:,} events at most.")
        doc["timeline"] += [
            {"id": None, "when": services._iso(event.when), "kind": event.kind, "description": event.description,
             "evidence_url": event.evidence_url}
            for event in data.events
        ]

    check_events(data.events)
    return save_changes(request=request, postmortem=postmortem, version=data.version, change=change)


@router.get("/action-items", response={200: ActionItemPage, **PROBLEMS})
def action_item_list(request, page: int = Query(1, ge=1, le=10_000), mine: bool = False,
                     open: bool = False):  # noqa: A002
    """List the action items of the post-mortems you may see, soonest due first."""
    items = ActionItem.objects.visible_to(request.user).select_related("owner", "postmortem")
    if mine:
        items = items.filter(owner=request.user)
    if open:
        items = items.still_open()
    found, total = paginate(items.order_by("due_date", "id"), page)
    return {"page": page, "per_page": PER_PAGE, "total": total,
            "items": [action_item_of(item, item.postmortem.slug) for item in found]}


@router.patch("/action-items/{item_id}", response={200: ActionItemOut, **PROBLEMS})
def action_item_update(request, item_id: int, data: ActionItemUpdate):
    """Change an action item's status (its owner, the authors, facilitators; wont_do needs a reason), or its
    owner or due date (the authors and facilitators: an edit of the text, so give `version`)."""
    writer(request)
    item = get_action_item_for(request, item_id, write=True)
    if data.owner is not None or data.due_date is not None or data.clear_due_date:
        if not can_edit(request.user, item.postmortem):
            raise PermissionDenied("Only the authors and facilitators change an action item's owner or due date.")
        if data.version is None:
            raise DjangoValidationError("Give the version you read to change the owner or due date.")

        if data.owner and not get_user_model().objects.filter(username=data.owner, is_active=True).exists():
            raise DjangoValidationError(f"There is no active user called “{data.owner}”.")

        def change(doc):
            for row in doc["action_items"]:
                if row["id"] == item.pk:
                    if data.owner is not None:
                        row["owner"] = data.owner or None
                    if data.due_date is not None or data.clear_due_date:
                        row["due_date"] = data.due_date.isoformat() if data.due_date else None

        save_changes(request=request, postmortem=item.postmortem, version=data.version, change=change)
    if data.status is not None and (data.status != item.status or data.reason.strip() != item.wont_do_reason):
        services.action_item_set_status(action_item=item, user=request.user, status=data.status, reason=data.reason)
    item = get_object_or_404(ActionItem.objects.select_related("owner", "postmortem"), pk=item.pk)
    return action_item_of(item, item.postmortem.slug)


api.add_router("/", router)
