"""The coach on the web: the live check behind the editor, dismissing a finding, the review panel and
the trend page. Permissions (`access`) and URLs (`reverse`) are decided here, not in the coach.

The check and dismiss endpoints are called with fetch() from static/js/coach.js, so they answer
JSON errors (401, 403, 404, 413...) instead of redirects or HTML error pages when asked for JSON.
"""

import json
import re
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from postmortems import services
from postmortems.access import can_edit, get_postmortem_for
from postmortems.coach import checks, review
from postmortems.coach.engine import KINDS, LOCATION_RE, MAX_FINDING_TEXT, ActionFacts, check_action_items
from postmortems.coach.people import names_in
from postmortems.models import EARLIEST_INCIDENT_TIME, LanguageRule, Priority, Team
from postmortems.ratelimit import rate_limited, seconds
from postmortems.roles import is_facilitator

MAX_BODY_BYTES = 512 * 1024
MAX_TEXTS = 200
MAX_TEXT_CHARS = 50_000
MAX_LOCATION_CHARS = 80
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,220}")


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _csrf_rejected(request) -> bool:
    """Run Django's CSRF check by hand, so that a failure can be answered in JSON."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


def _read_payload(request) -> dict:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise BadRequest(413, f"The request is too large: the coach reads up to {MAX_BODY_BYTES // 1024} KB at once.")
    try:
        body = request.body
    except Exception:  # RequestDataTooBig and friends
        raise BadRequest(413, "The request is too large.") from None
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"The request is too large: the coach reads up to {MAX_BODY_BYTES // 1024} KB at once.")
    if not body.strip():
        raise BadRequest(400, 'Send a JSON body: {"texts": [{"location": ..., "kind": ..., "text": ...}]}.')
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "The body must be a JSON object with a list of texts.")
    return payload


def _parse_texts(payload: dict) -> list[dict]:
    texts = payload.get("texts")
    if not isinstance(texts, list) or not texts:
        raise BadRequest(400, "Nothing to check: send at least one text.")
    if len(texts) > MAX_TEXTS:
        raise BadRequest(413, f"Too many texts: the coach checks up to {MAX_TEXTS} at once.")
    parsed = []
    for number, item in enumerate(texts, 1):
        if not isinstance(item, dict):
            raise BadRequest(400, f"Text {number} must be an object with location, kind and text.")
        location, kind, text = item.get("location"), item.get("kind"), item.get("text")
        if not isinstance(location, str) or not location.strip() or len(location) > MAX_LOCATION_CHARS:
            raise BadRequest(400, f"Text {number} needs a location of 1 to {MAX_LOCATION_CHARS} characters.")
        if kind not in KINDS:
            raise BadRequest(400, f"Text {number} has an unknown kind; use one of: {', '.join(KINDS)}.")
        # The editor names each text as the author sees it ("What happened", "Timeline event 3").
        label = item.get("label")
        name = f"“{label.strip()}”" if isinstance(label, str) and 0 < len(label.strip()) <= 200 else (
            f"Text {number} ({location})")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(400, f"{name} is empty: there is nothing to check.")
        if len(text) > MAX_TEXT_CHARS:
            raise BadRequest(
                413, f"{name} has {len(text):,} characters; the coach checks up to "
                f"{MAX_TEXT_CHARS:,} at once."
            )
        ref = item.get("ref", location)
        parsed.append({"location": location, "kind": kind, "text": text, "ref": str(ref)[:64], "item": item})
    return parsed


def _action_facts(parsed: list[dict]) -> list[ActionFacts]:
    facts = []
    for index, entry in enumerate(parsed):
        item = entry["item"]
        if entry["kind"] != "action_item" or item.get("priority") not in Priority.values:
            continue
        facts.append(
            ActionFacts(
                location=str(index),
                text=entry["text"],
                priority=item["priority"],
                has_owner=bool(item.get("has_owner")),
                has_due_date=bool(item.get("has_due_date")),
                is_open=item.get("status", "open") in ("open", "in_progress"),
            )
        )
    return facts


def _signed_out(request, message: str, next_path: str):
    """401 JSON for fetch(); the sign-in page, as everywhere else, for a browser."""
    if _wants_json(request):
        return _error(401, message, login_url=resolve_url(settings.LOGIN_URL))
    return redirect_to_login(next_path)


def _checks_paused(request, limit, wait):
    return _error(429, f"The coach checks at most {limit} times a minute: it checks again in {seconds(wait)}. "
                       "Your writing is not affected.")


@login_not_required  # answered below: 401 JSON for fetch(), the sign-in page for a browser
@csrf_exempt  # checked below, after sign-in, so that the answer can be JSON
@never_cache
@rate_limited("coach", _checks_paused)
def check(request):
    """Check texts for blaming language: POST {"texts": [...], "postmortem": slug?} → {"findings": [...]}."""
    if not request.user.is_authenticated:
        return _signed_out(request, "Sign in again to use the language coach.", reverse("home"))
    if request.method != "POST":
        response = _error(405, "Send the texts with POST.")
        response["Allow"] = "POST"
        return response
    if _csrf_rejected(request):
        return _error(403, "The page's security token is missing or out of date: reload the page.")
    try:
        payload = _read_payload(request)
        parsed = _parse_texts(payload)
        postmortem = _postmortem_from(request, payload.get("postmortem"))
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    results = _findings_json(request, parsed, postmortem)
    return JsonResponse({"findings": results, "count": len(results), "checked": [e["ref"] for e in parsed]})


def _findings_json(request, parsed: list[dict], postmortem) -> list[dict]:
    names = checks.user_names_in(entry["text"] for entry in parsed)
    dismissals, editable = {}, False
    if postmortem is not None:
        # Names the rest of the write-up shows to be people ("Dave said...") count here too.
        amendment = services.pending_amendment(postmortem)
        texts = checks.postmortem_texts(postmortem, document=amendment.document if amendment else None)
        names |= names_in(text for _, _, text in texts)
        dismissals = {(d.rule_slug, d.location, d.text): d.reason for d in postmortem.dismissals.all()}
        editable = can_edit(request.user, postmortem)
    texts = [(str(i), entry["kind"], entry["text"]) for i, entry in enumerate(parsed)]
    findings = checks.check_writing(texts, names=names) + check_action_items(_action_facts(parsed))
    labels = dict(LanguageRule.Category.choices)
    results = []
    for finding in findings:
        entry = parsed[int(finding.location)]
        reason = dismissals.get((finding.rule_slug, entry["location"], finding.text[: MAX_FINDING_TEXT]))
        results.append(
            {
                "location": entry["location"],
                "ref": entry["ref"],
                "kind": entry["kind"],
                "start": finding.start,
                "end": finding.end,
                "text": finding.text,
                "rule": finding.rule_slug,
                "category": finding.category,
                "category_label": labels.get(finding.category, finding.category),
                "message": finding.message,
                "suggestion": finding.suggestion,
                "dismissed": reason is not None,
                "reason": reason or "",
                "can_dismiss": editable and bool(LOCATION_RE.match(entry["location"])),
            }
        )
    return results


def _postmortem_from(request, slug):
    if slug in (None, ""):
        return None
    if not isinstance(slug, str):
        raise BadRequest(400, "postmortem must be a post-mortem's slug.")
    if not SLUG_RE.fullmatch(slug):  # what the URL's slug converter lets through; nothing else is one
        raise BadRequest(404, "No such post-mortem, or you may not see it.")
    try:
        return get_postmortem_for(request, slug)
    except Http404:
        raise BadRequest(404, "No such post-mortem, or you may not see it.") from None


class DismissForm(forms.Form):
    rule = forms.SlugField(max_length=80)
    location = forms.RegexField(regex=LOCATION_RE, max_length=80, error_messages={
        "invalid": "Findings can be dismissed only in saved texts (title, summary, sections, timeline, "
                   "factors, action items)."
    })
    text = forms.CharField(max_length=MAX_FINDING_TEXT, strip=False)
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this phrase should stay. The reviewer sees your reason.",
        error_messages={"required": "Say why this phrase should stay, so the reviewer can follow."},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        if rule not in checks.known_rule_slugs():
            raise ValidationError("The coach has no such rule.")
        return rule


@login_not_required  # answered below: 401 JSON for fetch(), the sign-in page for a form
def dismiss(request, slug):
    """Dismiss a finding with a reason (those who may edit the post-mortem); recorded in its history."""
    if not request.user.is_authenticated:
        return _signed_out(request, "Sign in again to dismiss findings.", reverse("postmortem_detail", args=[slug]))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    as_json = _wants_json(request)
    try:
        postmortem = get_postmortem_for(request, slug, write=True)
    except Http404:
        if as_json:
            return _error(404, "No such post-mortem, or you may not see it.")
        raise
    except PermissionDenied:
        if as_json:
            return _error(403, "Only the authors and facilitators dismiss findings on this post-mortem.")
        raise
    form = DismissForm(request.POST)
    if not form.is_valid():
        if as_json:
            return JsonResponse({"error": "Check the form.", "errors": form.errors}, status=400)
        return render(request, "postmortems/coach/dismiss.html", {"pm": postmortem, "form": form}, status=400)
    previous_version = postmortem.version
    data = form.cleaned_data
    services.finding_dismiss(
        postmortem=postmortem, user=request.user, rule_slug=data["rule"], location=data["location"],
        text=data["text"], reason=data["reason"],
    )
    if as_json:
        return JsonResponse({"ok": True, "version": postmortem.version, "previous_version": previous_version})
    messages.success(request, "Finding dismissed; the reviewer will see your reason.")
    target = data["next"]
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = postmortem.get_absolute_url()
    return HttpResponseRedirect(target)


def findings_for_review(postmortem, *, user=None, document=None) -> dict:
    """Return the context for includes/_coach_findings.html (see review.review_groups), with
    can_dismiss (whether `user` may dismiss findings here) and dismiss_url."""
    ctx = review.review_groups(postmortem, document=document)
    ctx["can_dismiss"] = user is not None and can_edit(user, postmortem)
    ctx["dismiss_url"] = reverse("coach_dismiss", args=[postmortem.slug])
    return ctx


@require_GET
def trends(request):
    """Facilitators: findings across post-mortems by category and month, to see writing change."""
    if not is_facilitator(request.user):
        raise PermissionDenied("The writing trends are for facilitators.")
    team = None
    if request.GET.get("team"):
        team = get_object_or_404(Team, slug=request.GET["team"])
    month, error = _month_from(request.GET.get("month", ""))
    category = request.GET.get("category", "")
    if category and category not in LanguageRule.Category.values:
        category, error = "", "Unknown category."
    ctx = review.finding_trends(request.user, team=team, month=month, category=category)
    ctx.update(
        teams=Team.objects.order_by("name"), team=team, month=month, category=category, error=error,
        category_label=dict(LanguageRule.Category.choices).get(category, ""),
    )
    return render(request, "postmortems/coach/trends.html", ctx)


def _month_from(value: str):
    """Return (the first instant of the month `value` names, "") or (None, why it cannot be used)."""
    if not value:
        return None, ""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
        return None, "Months look like 2025-03."
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError:
        return None, "Months look like 2025-03."
    first, this_month = EARLIEST_INCIDENT_TIME.date(), timezone.localdate().replace(day=1)
    if not first <= parsed.date() <= this_month:
        return None, f"Choose a month from {first:%Y-%m} to {this_month:%Y-%m}: findings are counted in no other."
    return timezone.make_aware(parsed), ""
