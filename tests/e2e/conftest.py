import os
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

# Playwright runs an event loop in the test thread; the live server and ORM calls are still safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# A loaded two-core machine can be slow to render; a generous wait keeps the tests honest but calm.
expect.set_options(timeout=15_000)

@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Put back what the migrations ship (role groups, templates, factor categories, language rules):
    browser tests run against a database another test may have flushed. The data is the migrated
    state itself, kept right after migrating (tests/conftest.py), so a new data migration needs
    nothing here."""
    from tests.conftest import migrated_data

    migrated_data()


@pytest.fixture
def draft():
    """A Lightweight draft started on 1 March 2024, 14:00 UTC, by the author "arthur"."""
    from postmortems import services
    from postmortems.models import Template
    from tests.factories import make_user

    author = make_user("arthur", "Authors", first_name="Arthur")
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Checkout latency",
        severity="sev2", started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


@pytest.fixture
def login(live_server):
    """Return a function that signs a Playwright page in through the login form."""
    from tests.factories import PASSWORD

    def do_login(page, username):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do_login


@pytest.fixture
def page(page):
    page.set_default_timeout(20_000)
    return page
