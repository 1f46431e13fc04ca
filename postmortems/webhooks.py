"""Incoming incident webhooks: PagerDuty v3, Prometheus Alertmanager and a generic JSON, each into one draft.

A facilitator creates an IncidentWebhook in the admin; the tool posts to /api/v1/hooks/<key>/. The
request is authenticated first (nothing is read or written otherwise: 401), then parsed into an
IncidentReport, and `services.postmortem_from_incident` creates the incident's draft or updates it
(idempotent by the incident's id; a replayed event adds nothing).

Authentication per kind:
- PagerDuty: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the raw body with the
  subscription's signing secret (several signatures while a secret is rotated).
- Alertmanager: `Authorization: Bearer <secret>` (its http_config.authorization).
- Generic: `X-Hindsight-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body with the secret.

The generic JSON:
    {"id": "INC-42", "title": "Checkout errors", "severity": "sev2",
     "started_at": "2026-01-02T10:00:00Z", "detected_at": "…", "resolved_at": "…" (optional),
     "events": [{"when": "2026-01-02T10:05:00Z", "kind": "detection", "description": "Paged",
                 "evidence_url": "https://…"}]}
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from postmortems import services
from postmortems.models import EventKind, IncidentWebhook, WebhookKind
from postmortems.weblinks import validate_web_url

MAX_EVENTS_PER_CALL = 200
PAGERDUTY_EVENTS = {"incident.triggered", "incident.acknowledged", "incident.annotated", "incident.resolved"}


class BadPayload(Exception):
    pass


@dataclass
class IncidentReport:
    external_id: str
    title: str = ""
    severity: str = ""
    started_at: datetime | None = None
    detected_at: datetime | None = None
    resolved_at: datetime | None = None
    events: list[dict] = field(default_factory=list)  # {"when": datetime, "kind", "description", "evidence_url"}


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise BadPayload("Expected text.")
    return str(value).replace("\x00", "")[:limit].strip()


def _time(value) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise BadPayload("Expected an ISO 8601 time.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadPayload(f"Not an ISO 8601 time: {value[:40]!r}.") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year <= 1:  # Alertmanager's "0001-01-01T00:00:00Z": not ended yet
        return None
    return parsed


def _dict(value) -> dict:
    if not isinstance(value, dict):
        raise BadPayload("Expected a JSON object.")
    return value


def _event(when, kind: str, description: str, evidence_url: str = "") -> dict:
    """Return a timeline event; an evidence link that is not a well-formed http(s) URL is left out."""
    try:
        validate_web_url(evidence_url)
    except ValidationError:
        evidence_url = ""
    return {"when": when, "kind": kind, "description": description[:2000], "evidence_url": evidence_url}


def parse_pagerduty(payload: dict) -> IncidentReport | None:
    """Return the report of a PagerDuty v3 event, or None for events that are not about an incident."""
    event = _dict(payload.get("event"))
    kind = _text(event.get("event_type"), 60)
    if kind not in PAGERDUTY_EVENTS:
        return None
    data = _dict(event.get("data"))
    occurred = _time(event.get("occurred_at"))
    agent = _text(_dict(event.get("agent") or {}).get("summary"), 200)
    if kind == "incident.annotated":
        incident = _dict(data.get("incident"))
        note = _text(data.get("content"), 2000)
        report = IncidentReport(external_id=_text(incident.get("id"), 200))
        if note:
            report.events.append(_event(occurred, EventKind.OBSERVATION, f"Note: {note}",
                                        _text(incident.get("html_url"), 500)))
        return report
    priority = _dict(data.get("priority") or {}).get("summary") or data.get("urgency")
    report = IncidentReport(
        external_id=_text(data.get("id"), 200), title=_text(data.get("title"), 200),
        severity=_text(priority, 50), started_at=_time(data.get("created_at")) or occurred,
    )
    url = _text(data.get("html_url"), 500)
    by = f" by {agent}" if agent else ""
    if kind == "incident.triggered":
        report.detected_at = occurred
        report.events.append(
            _event(occurred, EventKind.DETECTION, f"PagerDuty incident triggered: {report.title}", url))
    elif kind == "incident.acknowledged":
        report.events.append(_event(occurred, EventKind.ESCALATION, f"Acknowledged in PagerDuty{by}.", url))
    else:
        report.resolved_at = occurred
        report.events.append(_event(occurred, EventKind.RESOLUTION, f"Resolved in PagerDuty{by}.", url))
    return report


def parse_alertmanager(payload: dict) -> IncidentReport:
    """Return the report of an Alertmanager notification (one incident per alert group)."""
    labels = _dict(payload.get("commonLabels") or {})
    annotations = _dict(payload.get("commonAnnotations") or {})
    alerts = payload.get("alerts") or []
    if not isinstance(alerts, list):
        raise BadPayload("alerts must be a list.")
    name = _text(labels.get("alertname"), 150) or "Alert"
    report = IncidentReport(
        external_id=_text(payload.get("groupKey"), 200), title=_text(annotations.get("summary"), 200) or name,
        severity=_text(labels.get("severity"), 50),
    )
    starts, ends = [], []
    for alert in alerts[:MAX_EVENTS_PER_CALL]:
        alert = _dict(alert)
        alert_labels = _dict(alert.get("labels") or {})
        alert_name = _text(alert_labels.get("alertname"), 150) or name
        what = _text(_dict(alert.get("annotations") or {}).get("summary"), 500) or alert_name
        url = _text(alert.get("generatorURL"), 500)
        started = _time(alert.get("startsAt"))
        if started:
            starts.append(started)
            report.events.append(_event(started, EventKind.DETECTION, f"Alert firing: {what}", url))
        ended = _time(alert.get("endsAt"))
        if _text(alert.get("status"), 20) == "resolved" and ended:
            ends.append(ended)
            report.events.append(_event(ended, EventKind.RESOLUTION, f"Alert resolved: {what}", url))
    report.started_at = min(starts, default=None)
    report.detected_at = report.started_at
    if _text(payload.get("status"), 20) == "resolved":
        report.resolved_at = max(ends, default=None)
    return report


def parse_generic(payload: dict) -> IncidentReport:
    """Return the report of the generic JSON (see the module's docstring)."""
    events = payload.get("events") or []
    if not isinstance(events, list) or len(events) > MAX_EVENTS_PER_CALL:
        raise BadPayload(f"events must be a list of at most {MAX_EVENTS_PER_CALL}.")
    report = IncidentReport(
        external_id=_text(payload.get("id"), 200), title=_text(payload.get("title"), 200),
        severity=_text(payload.get("severity"), 50), started_at=_time(payload.get("started_at")),
        detected_at=_time(payload.get("detected_at")), resolved_at=_time(payload.get("resolved_at")),
    )
    for event in events:
        event = _dict(event)
        kind = _text(event.get("kind"), 20)
        description = _text(event.get("description"), 2000)
        if not description:
            raise BadPayload("Each event needs a description.")
        kind = kind if kind in EventKind.values else EventKind.OBSERVATION
        report.events.append(_event(_time(event.get("when")), kind, description, _text(event.get("evidence_url"), 500)))
    return report


PARSERS = {WebhookKind.PAGERDUTY: parse_pagerduty, WebhookKind.ALERTMANAGER: parse_alertmanager,
           WebhookKind.GENERIC: parse_generic}


def _hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_authentic(webhook: IncidentWebhook, request) -> bool:
    """Return whether `request` was sent by the tool that knows `webhook`'s secret."""
    body = request.body
    if webhook.kind == WebhookKind.PAGERDUTY:
        expected = _hmac(webhook.secret, body)
        header = request.headers.get("X-PagerDuty-Signature", "")[:2000]
        return any(hmac.compare_digest(part.strip(), f"v1={expected}") for part in header.split(","))
    if webhook.kind == WebhookKind.ALERTMANAGER:
        return hmac.compare_digest(request.headers.get("Authorization", "")[:500], f"Bearer {webhook.secret}")
    header = request.headers.get("X-Hindsight-Signature", "")[:200]
    return hmac.compare_digest(header, f"sha256={_hmac(webhook.secret, body)}")


def _problem(status: int, title: str, detail: str = "") -> JsonResponse:
    return JsonResponse({"type": "about:blank", "title": title, "status": status, "detail": detail},
                        status=status, content_type="application/problem+json")


@login_not_required
@csrf_exempt
@require_POST
def incident_webhook(request, key):
    """Receive one event from an incident tool; answer 200 with the draft's address (202 when ignored)."""
    webhook = IncidentWebhook.objects.filter(key=key, is_active=True).select_related("template", "team",
                                                                                      "author").first()
    if webhook is None:
        return _problem(404, "Not found", "No active webhook has this address.")
    if not is_authentic(webhook, request):
        return _problem(401, "Bad signature", "The request was not signed with this webhook's secret.")
    try:
        payload = _dict(json.loads(request.body))
        report = PARSERS[webhook.kind](payload)
    except (ValueError, RecursionError, BadPayload) as exc:
        return _problem(400, "Bad payload", str(exc)[:300] if isinstance(exc, BadPayload) else "Not valid JSON.")
    if report is None:
        return JsonResponse({"ignored": True}, status=202)
    if not report.external_id:
        return _problem(400, "Bad payload", "The incident has no id.")
    try:
        postmortem, created = services.postmortem_from_incident(webhook=webhook, report=report)
    except ValidationError as exc:
        return _problem(400, "Not saved", " ".join(exc.messages)[:500])
    return JsonResponse({"postmortem": postmortem.slug, "url": postmortem.get_absolute_url(), "created": created},
                        status=201 if created else 200)
