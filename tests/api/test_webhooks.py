"""Incoming incident webhooks over real HTTP on localhost: PagerDuty v3, Alertmanager, the generic JSON."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest

from postmortems.models import IncidentLink, IncidentWebhook, PostMortem, Revision, Status, Team, WebhookKind

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec-test-secret"


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Put back what the migrations ship (roles, templates): another transactional test may have flushed them."""
    from tests.conftest import migrated_data

    migrated_data()


@pytest.fixture
def hook(author):
    from postmortems.models import Template

    def make(kind, **fields):
        team = Team.objects.get_or_create(name="Payments", slug="payments")[0]
        return IncidentWebhook.objects.create(name=f"{kind} hook", kind=kind, secret=SECRET, team=team,
                                              template=Template.objects.filter(is_active=True).first(),
                                              author=author, **fields)

    return make


def send(live_server, webhook, body, headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{live_server.url}/api/v1/hooks/{webhook.key}/", data=data, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def pd_signature(body: bytes, secret=SECRET) -> dict:
    return {"X-PagerDuty-Signature": "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def pagerduty_event(event_type, occurred_at, **data):
    incident = {
        "id": "Q1ABCDEF", "type": "incident", "self": "https://api.pagerduty.com/incidents/Q1ABCDEF",
        "html_url": "https://acme.pagerduty.com/incidents/Q1ABCDEF", "number": 42, "status": "triggered",
        "incident_key": "checkout-5xx", "created_at": "2026-03-02T10:00:00Z", "title": "Checkout 5xx above 2%",
        "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
        "assignees": [], "escalation_policy": {"id": "PEP", "type": "escalation_policy_reference"},
        "teams": [], "priority": {"id": "PPRI", "type": "priority_reference", "summary": "P1"},
        "urgency": "high", "conference_bridge": None, "resolve_reason": None, **data,
    }
    if event_type == "incident.annotated":
        incident = {"incident": {"id": "Q1ABCDEF", "type": "incident_reference",
                                 "html_url": "https://acme.pagerduty.com/incidents/Q1ABCDEF"},
                    "id": "NOTE1", "content": "Rolled back deploy 812.", "trimmed": False, "type": "incident_note"}
    return {"event": {"id": f"01{event_type}", "event_type": event_type, "resource_type": "incident",
                      "occurred_at": occurred_at, "agent": {"id": "PUSER", "type": "user_reference",
                                                            "summary": "On-call engineer"},
                      "client": None, "data": incident}}


def test_pagerduty_lifecycle_makes_one_draft(live_server, hook):
    webhook = hook(WebhookKind.PAGERDUTY)
    slugs = set()
    for event_type, at in (("incident.triggered", "2026-03-02T10:01:00Z"),
                           ("incident.acknowledged", "2026-03-02T10:04:00Z"),
                           ("incident.annotated", "2026-03-02T10:20:00Z"),
                           ("incident.resolved", "2026-03-02T10:45:00Z")):
        body = json.dumps(pagerduty_event(event_type, at)).encode()
        status, answer, _ = send(live_server, webhook, body, pd_signature(body))
        assert status in (200, 201), answer
        slugs.add(answer["postmortem"])
    assert len(slugs) == 1
    pm = PostMortem.objects.get(slug=slugs.pop())
    assert pm.status == Status.DRAFT and pm.title == "Checkout 5xx above 2%" and pm.severity == "sev1"
    assert pm.started_at.isoformat().startswith("2026-03-02T10:00")
    assert pm.detected_at.isoformat().startswith("2026-03-02T10:01")
    assert pm.resolved_at.isoformat().startswith("2026-03-02T10:45")
    assert [e.kind for e in pm.timeline_events.order_by("occurred_at")] == [
        "detection", "escalation", "observation", "resolution"]
    assert list(pm.teams.values_list("name", flat=True)) == ["Payments"]
    assert Revision.objects.filter(postmortem=pm, action="updated from an incident webhook").count() == 4


def test_pagerduty_replay_is_harmless(live_server, hook):
    webhook = hook(WebhookKind.PAGERDUTY)
    body = json.dumps(pagerduty_event("incident.triggered", "2026-03-02T10:01:00Z")).encode()
    assert send(live_server, webhook, body, pd_signature(body))[0] == 201
    pm = PostMortem.objects.get()
    version = pm.version
    assert send(live_server, webhook, body, pd_signature(body))[0] == 200
    pm.refresh_from_db()
    assert pm.version == version and pm.timeline_events.count() == 1 and IncidentLink.objects.count() == 1


def test_pagerduty_bad_signature_is_401_and_writes_nothing(live_server, hook):
    webhook = hook(WebhookKind.PAGERDUTY)
    body = json.dumps(pagerduty_event("incident.triggered", "2026-03-02T10:01:00Z")).encode()
    for headers in ({}, pd_signature(body, secret="wrong"), {"X-PagerDuty-Signature": "v1=" + "0" * 64},
                    pd_signature(body + b" ")):
        status, answer, _ = send(live_server, webhook, body, headers)
        assert status == 401 and answer["status"] == 401
    assert not PostMortem.objects.exists()


def test_pagerduty_accepts_any_of_rotated_signatures(live_server, hook):
    webhook = hook(WebhookKind.PAGERDUTY)
    body = json.dumps(pagerduty_event("incident.triggered", "2026-03-02T10:01:00Z")).encode()
    good = pd_signature(body)["X-PagerDuty-Signature"]
    assert send(live_server, webhook, body, {"X-PagerDuty-Signature": f"v1={'a' * 64},{good}"})[0] == 201


def test_pagerduty_other_events_are_ignored(live_server, hook):
    webhook = hook(WebhookKind.PAGERDUTY)
    body = json.dumps({"event": {"event_type": "service.updated", "data": {}}}).encode()
    assert send(live_server, webhook, body, pd_signature(body))[0] == 202
    assert not PostMortem.objects.exists()


ALERTMANAGER = {
    "version": "4", "groupKey": '{}:{alertname="CheckoutLatency"}', "truncatedAlerts": 0, "status": "firing",
    "receiver": "hindsight", "groupLabels": {"alertname": "CheckoutLatency"},
    "commonLabels": {"alertname": "CheckoutLatency", "severity": "critical", "service": "checkout"},
    "commonAnnotations": {"summary": "Checkout p99 latency above 2 s"},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{"status": "firing", "labels": {"alertname": "CheckoutLatency", "instance": "web-1"},
                "annotations": {"summary": "p99 above 2 s on web-1"}, "startsAt": "2026-03-03T08:00:00.123Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph?g0.expr=latency", "fingerprint": "c6d6"}],
}


def test_alertmanager_firing_then_resolved(live_server, hook):
    webhook = hook(WebhookKind.ALERTMANAGER)
    auth = {"Authorization": f"Bearer {SECRET}"}
    assert send(live_server, webhook, ALERTMANAGER, auth)[0] == 201
    resolved = json.loads(json.dumps(ALERTMANAGER))
    resolved["status"] = "resolved"
    resolved["alerts"][0].update(status="resolved", endsAt="2026-03-03T08:30:00Z")
    status, answer, _ = send(live_server, webhook, resolved, auth)
    assert status == 200, answer
    pm = PostMortem.objects.get()
    assert pm.title == "Checkout p99 latency above 2 s" and pm.severity == "sev1"
    assert pm.resolved_at.isoformat().startswith("2026-03-03T08:30")
    assert pm.timeline_events.count() == 2
    assert send(live_server, webhook, ALERTMANAGER, {"Authorization": "Bearer nope"})[0] == 401


def test_generic_json_with_its_signature(live_server, hook):
    webhook = hook(WebhookKind.GENERIC)
    body = json.dumps({"id": "INC-42", "title": "Queue backlog", "severity": "sev2",
                       "started_at": "2026-03-04T09:00:00Z", "detected_at": "2026-03-04T09:05:00Z",
                       "events": [{"when": "2026-03-04T09:05:00Z", "kind": "detection", "description": "Paged",
                                   "evidence_url": "javascript:alert(1)"}]}).encode()
    signature = {"X-Hindsight-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert send(live_server, webhook, body, signature)[0] == 201
    pm = PostMortem.objects.get()
    assert pm.severity == "sev2" and pm.timeline_events.get().evidence_url == ""
    assert send(live_server, webhook, body, {"X-Hindsight-Signature": "sha256=00"})[0] == 401


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"id": "x", "events": "no"}', b'{"id": {"a": 1}}',
                                  b"[" * 50_000 + b"]" * 50_000, b'{"id": "x\\u0000", "started_at": "soon"}',
                                  b'{"title": "no id"}'])
def test_generic_bad_payloads_are_400_and_write_nothing(live_server, hook, body):
    webhook = hook(WebhookKind.GENERIC)
    signature = {"X-Hindsight-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    status, answer, _ = send(live_server, webhook, body, signature)
    assert status == 400 and answer["status"] == 400
    assert not PostMortem.objects.exists()


def test_unknown_or_inactive_hook_is_404(live_server, hook):
    webhook = hook(WebhookKind.GENERIC, is_active=False)
    assert send(live_server, webhook, {"id": "x"}, {})[0] == 404


def test_event_after_publication_goes_into_an_amendment(live_server, hook):
    from postmortems import services
    from postmortems.models import Amendment

    webhook = hook(WebhookKind.PAGERDUTY)
    body = json.dumps(pagerduty_event("incident.triggered", "2026-03-02T10:01:00Z")).encode()
    assert send(live_server, webhook, body, pd_signature(body))[0] == 201
    pm = PostMortem.objects.get()
    services._set_status(pm, Status.PUBLISHED)
    body = json.dumps(pagerduty_event("incident.resolved", "2026-03-02T10:45:00Z")).encode()
    assert send(live_server, webhook, body, pd_signature(body))[0] == 200
    pm.refresh_from_db()
    assert pm.resolved_at is None and pm.timeline_events.count() == 1  # readers still see the published text
    amendment = Amendment.objects.get(postmortem=pm)
    assert amendment.document["resolved_at"].startswith("2026-03-02T10:45") and len(amendment.document["timeline"]) == 2
