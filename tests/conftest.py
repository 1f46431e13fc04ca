import os
import shutil

import pytest
from django.contrib.auth.models import Group, User

from postmortems.models import PostMortem, Status, Team

PASSWORD = "correct-horse-battery"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def make_user(username, group=None, *, staff=False, first_name="", last_name=""):
    user = User.objects.create_user(
        username, f"{username}@example.com", PASSWORD, first_name=first_name, last_name=last_name
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def reader(db):
    return make_user("rita", "Readers", first_name="Rita", last_name="Reader")


@pytest.fixture
def author(db):
    return make_user("arthur", "Authors", first_name="Arthur", last_name="Author")


@pytest.fixture
def other_author(db):
    return make_user("olga", "Authors", first_name="Olga", last_name="Other")


@pytest.fixture
def facilitator(db):
    return make_user("fiona", "Facilitators", staff=True, first_name="Fiona", last_name="Facilitator")


@pytest.fixture
def outsider(db):
    """A signed-in account in no group at all."""
    return make_user("otto")


@pytest.fixture
def team(db):
    return Team.objects.create(name="Payments", slug="payments")


@pytest.fixture
def make_postmortem(db):
    counter = {"n": 0}

    def make(*, title=None, status=Status.DRAFT, authors=(), restricted=False, **fields):
        counter["n"] += 1
        title = title or f"Incident {counter['n']}"
        pm = PostMortem.objects.create(
            title=title, slug=f"incident-{counter['n']}", status=status, restricted=restricted, **fields
        )
        if authors:
            pm.authors.set(authors)
        return pm

    return make


@pytest.fixture(autouse=True)
def media_through_hindsight(monkeypatch):
    """Let the live server answer /media/ with Hindsight's own view, as a deployment does: Django's test
    server would otherwise serve MEDIA_ROOT itself, to anyone, past every access check."""
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


# Browser tests: Debian's Chromium, never a downloaded browser.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        if os.environ.get("HINDSIGHT_REQUIRE_BROWSER"):
            pytest.fail("HINDSIGHT_REQUIRE_BROWSER is set but no Chromium was found (apt-get install chromium).")
        pytest.skip("No Chromium found: install Debian's chromium package to run the browser tests.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on localhost that Hindsight's email backend delivers to for the test."""
    from tests.mailserver import MailServer

    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield server
