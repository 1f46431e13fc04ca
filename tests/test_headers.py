"""Security headers: a Content-Security-Policy with no inline script or style, and no-store on signed-in pages."""

import re
from pathlib import Path

import pytest

from postmortems.models import Profile

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "a <script> block"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/postmortems/", "/search/?q=x", "/admin/"])
def test_every_page_has_a_policy_that_allows_no_inline_script_or_style(client, facilitator, path):
    if path != "/accounts/login/":
        client.force_login(facilitator)
    response = client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("template", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")))
def test_no_template_holds_inline_script_or_style(template):
    text = (ROOT / template).read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == [], f"{template} has {', '.join(found)}: move it to static/js or static/css"


@pytest.mark.parametrize("path", ["/", "/postmortems/", "/search/?q=x", "/profile/", "/action-items/", "/admin/"])
def test_signed_in_pages_are_not_stored_by_browsers_or_proxies(client, facilitator, path):
    client.force_login(facilitator)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_json_endpoint_for_a_signed_in_user_is_not_stored_either(client, reader):
    client.force_login(reader)
    response = client.get("/tags/autocomplete/?q=a")
    assert response["Cache-Control"] == "no-store"


def test_the_sign_in_page_is_not_stored(client):
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]


def test_the_feed_is_left_to_feed_readers_caching(client, reader):
    token = Profile.for_user(reader).feed_token
    response = client.get("/feeds/published/", {"token": token})
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_static_files_stay_cacheable_for_signed_in_users(client, reader, settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # as in development: nothing collected
    client.force_login(reader)
    response = client.get("/static/css/hindsight.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
