"""schemathesis against the API's own OpenAPI document, with each role's token: no 5xx, and every documented
response matches its schema. Examples are bounded so the whole file runs in seconds."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from postmortems import services
from postmortems.models import Status, TokenScope

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

ROLES = ["reader", "author", "facilitator", "outsider"]


@pytest.fixture
def world(db, author, template_pm):
    """Something to read and write: a draft and a published post-mortem by `author`."""
    return template_pm


@pytest.fixture
def token(role, request):
    _, secret = services.api_token_create(user=request.getfixturevalue(role), name="conformance",
                                          scope=TokenScope.READ_WRITE)
    return secret


@pytest.fixture
def template_pm(author, facilitator):
    from django.utils import timezone

    from postmortems.models import Template

    template = Template.objects.filter(is_active=True).first()
    draft = services.postmortem_create(user=author, template=template, title="Disk full", severity="sev3",
                                       started_at=timezone.now())
    published = services.postmortem_create(user=author, template=template, title="DNS outage", severity="sev2",
                                           started_at=timezone.now())
    services._set_status(published, Status.PUBLISHED)
    return draft, published


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_never_fails_and_matches_its_schema(case, role, world, token, settings_override):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance])


@pytest.fixture
def settings_override(settings):
    """No rate limit in the way; and the WSGI app keeps the test's database connection open between requests
    (as Django's test client does), so every call sees the test's rows."""
    from django.core import signals
    from django.db import close_old_connections

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 100_000}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
