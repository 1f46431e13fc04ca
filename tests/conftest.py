import os
import shutil

import pytest

from postmortems.models import PostMortem, Status, Team
from tests.factories import PASSWORD, make_user  # noqa: F401 (PASSWORD: older imports)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """Migrate the test database, then keep what the migrations put in it (role groups, templates, factor
    categories, language rules …) in a fixture file, so tests that flush the database can load it back."""
    with django_db_blocker.unblock():
        migrated_data.path = _dump_migrated_data(tmp_path_factory.mktemp("migrated") / "migrated.json")


def migrated_data():
    """Load back what the migrations put in the database (after a flush; rows still there are kept as they are)."""
    from django.core.management import call_command

    call_command("loaddata", str(migrated_data.path), verbosity=0)


migrated_data.path = None


def _dump_migrated_data(path):
    from django.apps import apps
    from django.core import serializers

    left_to_django = {"contenttypes.contenttype", "auth.permission"}  # made again by post_migrate after a flush
    objects = []
    for model in apps.get_models():
        if model._meta.label_lower not in left_to_django and model._meta.managed and not model._meta.proxy:
            objects.extend(model._default_manager.order_by("pk"))
    path.write_text(serializers.serialize("json", objects, use_natural_foreign_keys=True,
                                          use_natural_primary_keys=True))
    return path


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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    """Keep SQLite's test database in a file rather than in memory, so that a server started as a separate
    process (tests/test_production.py runs gunicorn) reads the same database as the test."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the library's version token rolls back with the test's data."""
    from django.core.cache import cache

    cache.clear()


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
