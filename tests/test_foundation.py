import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.urls import URLPattern, URLResolver, get_resolver

from config import settings as hs_settings

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PATHS = {"/healthz", "/accounts/login/", "/favicon.ico"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if getattr(p, "namespace", None) == "admin" or getattr(p, "app_name", None) == "admin":
                yield prefix + str(p.pattern)
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route):
    """Turn a route like 'postmortems/<slug:slug>/' into a path a client can request."""
    import re

    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:slug|str|path|uuid):?\w*>", "x", route)
    route = re.sub(r"<\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route)
    return "/" + route


def all_paths():
    paths = sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})
    return [p for p in paths if p not in PUBLIC_PATHS and not p.startswith("/media/")]


@pytest.mark.django_db
@pytest.mark.parametrize("path", all_paths())
def test_anonymous_request_to_every_url_is_sent_to_sign_in(client, path):
    response = client.get(path)
    if path == "/feeds/published/":
        # Feed readers cannot sign in: the feed answers only to a valid personal token.
        assert response.status_code == 404
        return
    if path.startswith("/notifications/unsubscribe/"):
        # An email's one-click unsubscribe link works without signing in: it answers only to a signed token.
        assert response.status_code == 400
        return
    if path.startswith("/api/v1/") and path != "/api/v1/docs/":
        # The JSON API authenticates each request itself (a token): 401 problem details, never a redirect.
        # Its OpenAPI document is public (no data); webhooks take signed POSTs only.
        if path == "/api/v1/openapi.json":
            assert response.status_code == 200
        elif path.startswith("/api/v1/hooks/"):
            assert response.status_code == 405
        else:
            assert response.status_code in (401, 404, 405), path  # 404: the API root lists nothing
        return
    assert response.status_code == 302, path
    assert response["Location"].startswith("/accounts/login/") or response["Location"].startswith(
        "/admin/login/"
    ), response["Location"]


def test_url_walk_finds_the_pages():
    paths = all_paths()
    assert "/" in paths
    assert "/admin/" in paths


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


@pytest.mark.django_db
def test_login_then_logout_by_post(client, reader):
    response = client.post("/accounts/login/", {"username": "rita", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_keeps_username(client, reader):
    response = client.post("/accounts/login/", {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert b'value="rita"' in response.content


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_healthz_503_when_database_does_not_answer(client):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.django_db
def test_role_groups_exist_with_their_permissions():
    def perms(name):
        group = Group.objects.get(name=name)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}

    readers, authors, facilitators = perms("Readers"), perms("Authors"), perms("Facilitators")
    assert "postmortems.view_postmortem" in readers
    assert "postmortems.add_postmortem" not in readers
    assert readers < authors
    assert "postmortems.add_postmortem" in authors
    assert "postmortems.publish_postmortem" not in authors
    assert "postmortems.view_restricted_postmortem" not in authors
    assert authors < facilitators
    assert {"postmortems.publish_postmortem", "postmortems.view_restricted_postmortem"} <= facilitators
    assert "taggit.change_tag" in facilitators


@pytest.mark.django_db
def test_role_checks_follow_groups(reader, author, facilitator, outsider):
    from postmortems.roles import is_author, is_facilitator

    assert [is_author(u) for u in (reader, author, facilitator, outsider)] == [False, True, True, False]
    assert [is_facilitator(u) for u in (reader, author, facilitator, outsider)] == [False, False, True, False]


@pytest.mark.parametrize("raw,expected", [("1", True), ("yes", True), ("off", False), ("", False), ("TRUE", True)])
def test_env_bool_reads_booleans(raw, expected):
    with mock.patch.dict(os.environ, {"X_FLAG": raw}):
        assert hs_settings.env_bool("X_FLAG") is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_env_bool_rejects_other_values(raw):
    with mock.patch.dict(os.environ, {"X_FLAG": raw}), pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        hs_settings.env_bool("X_FLAG")


def test_env_int_rejects_non_numbers():
    with mock.patch.dict(os.environ, {"X_NUM": "12a"}), pytest.raises(ImproperlyConfigured, match="X_NUM"):
        hs_settings.env_int("X_NUM", 3)
    with mock.patch.dict(os.environ, {"X_NUM": " 42 "}):
        assert hs_settings.env_int("X_NUM", 3) == 42


def test_env_list_splits_and_rejects_empty_items():
    with mock.patch.dict(os.environ, {"X_LIST": "a.example, b.example"}):
        assert hs_settings.env_list("X_LIST") == ["a.example", "b.example"]
    with mock.patch.dict(os.environ, {"X_LIST": "a,,b"}), pytest.raises(ImproperlyConfigured):
        hs_settings.env_list("X_LIST")


def test_database_url_parsing():
    with mock.patch.dict(os.environ, {"DATABASE_URL": "postgres://u:p%40ss@db.internal:6543/hindsight"}):
        db = hs_settings.env_database()
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "hindsight", "u", "p@ss", "db.internal", "6543",
    )
    with mock.patch.dict(os.environ, {"DATABASE_URL": "mysql://x/y"}), pytest.raises(ImproperlyConfigured):
        hs_settings.env_database()
    with mock.patch.dict(os.environ, {"DATABASE_URL": "postgres://x"}), pytest.raises(ImproperlyConfigured):
        hs_settings.env_database()


def test_default_database_is_sqlite_with_wal_and_busy_timeout():
    with mock.patch.dict(os.environ, {}, clear=False):
        os.environ.pop("DATABASE_URL", None)
        db = hs_settings.env_database()
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["timeout"] >= 5


PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "hindsight.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://hindsight.example.com",
}


def _manage(*args, env):
    skip = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "HINDSIGHT_TESTING"}
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    clean.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "WARNINGS" not in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_start_fails_clearly_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
