import pytest

from postmortems import services
from postmortems.models import Status, Template, TokenScope


@pytest.fixture
def token_for(db):
    """Return a function giving a user's token secret (read-write unless `scope` says otherwise)."""

    def make(user, scope=TokenScope.READ_WRITE):
        _, secret = services.api_token_create(user=user, name=f"{user.username} {scope}", scope=scope)
        return secret

    return make


@pytest.fixture
def bearer(token_for):
    def headers(user, scope=TokenScope.READ_WRITE):
        return {"HTTP_AUTHORIZATION": f"Bearer {token_for(user, scope)}"}

    return headers


@pytest.fixture
def template(db):
    return Template.objects.filter(is_active=True).first()


@pytest.fixture
def draft(author, template):
    """A draft written by `author` from the first template, through the service (so it has a revision)."""
    from django.utils import timezone

    return services.postmortem_create(user=author, template=template, title="Checkout timeouts", severity="sev2",
                                      started_at=timezone.now())


@pytest.fixture
def published(author, facilitator, template):
    from django.utils import timezone

    pm = services.postmortem_create(user=author, template=template, title="Cache flush outage", severity="sev2",
                                    started_at=timezone.now())
    services._set_status(pm, Status.PUBLISHED)
    services.postmortem_record_change(postmortem=pm, user=facilitator, action="published")
    return pm
