"""The production path, over real HTTP: gunicorn started with gunicorn.conf.py and production settings
(DEBUG off, a secret key and host names set, static files collected with hashed names and compressed,
served by whitenoise) against the test database; people sign in, load the main pages and a static file,
and every answer carries the security headers.

One gunicorn per module. The test data is committed (a transactional database), so the server's own
connections see it; the SQLite test database is a file for that reason (tests/conftest.py).
"""

import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from postmortems.models import Status
from tests.factories import PASSWORD, make_user
from tests.servers import wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
HOST = "hindsight.example.com"
SECRET_KEY = "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# Data the migrations ship, put back after each transactional test's flush (as the browser tests do).
REFERENCE_DATA = [
    ("postmortems.migrations.0002_create_role_groups", "create_groups"),
    ("postmortems.migrations.0003_ship_templates_and_categories", "ship"),
    ("postmortems.migrations.0004_ship_language_rules", "ship_rules"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict) -> str:
    """Return a DATABASE_URL naming the database the tests run against (the test database)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        name = str(settings_dict["NAME"])
        assert name != ":memory:" and "mode=memory" not in name, "the SQLite test database must be a file"
        return "sqlite:///" + quote(str(Path(name).resolve()))
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{settings_dict['HOST'] or 'localhost'}{port}/{quote(settings_dict['NAME'])}"


def production_env(**extra) -> dict:
    leave_out = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "HINDSIGHT_TESTING", "PYTEST_CURRENT_TEST", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in leave_out and not k.startswith(("GUNICORN_", "SECURE_"))}
    return {**env, "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": HOST, "CSRF_TRUSTED_ORIGINS": f"https://{HOST}", **extra}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    static = tmp_path_factory.mktemp("static")
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT,
                            env=production_env(STATIC_ROOT=str(static)), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return static


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, static_root, tmp_path_factory):
    """Start gunicorn as a deployment does and yield its port; stopped before the test database goes."""
    from django.db import connection

    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = production_env(
        DATABASE_URL=database_url(connection.settings_dict), STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")), CONN_MAX_AGE="0",
        GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", GUNICORN_THREADS="2",
    )
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    wait_for_port(process, port, seconds=60, failure=lambda: f"gunicorn did not start:\n{log.read_text()}")
    yield {"port": port, "log": log}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    import importlib

    from django.apps import apps
    from django.db import connection

    for module_name, function_name in REFERENCE_DATA:
        getattr(importlib.import_module(module_name), function_name)(apps, connection.schema_editor())


class Browser:
    """Just enough of a browser over http.client: cookies, and the headers nginx adds in front."""

    def __init__(self, port):
        self.port = port
        self.cookies = SimpleCookie()

    def request(self, method, path, *, body=None, headers=None, https=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": HOST, "X-Forwarded-For": "203.0.113.7", "Accept-Encoding": "identity"}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items())
        sent.update(headers or {})
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def sign_in(self, username):
        form = self.get("/accounts/login/")
        assert form.status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1).decode()
        response = self.request(
            "POST", "/accounts/login/",
            body=urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{HOST}",
                     "Referer": f"https://{HOST}/accounts/login/"},
        )
        assert response.status == 302, response.body[:2000]
        assert response.getheader("Location") == "/"
        return response


def assert_security_headers(response):
    csp = response.getheader("Content-Security-Policy")
    assert csp and "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"


@pytest.fixture
def people(make_postmortem):
    reader = make_user("rita", "Readers")
    author = make_user("arthur", "Authors")
    facilitator = make_user("fiona", "Facilitators", staff=True)
    # The server knows production's password hasher only, not the tests' fast one; few rounds keep it quick.
    User.objects.update(password=PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000))
    published = make_postmortem(title="Checkout latency after the cache change", status=Status.PUBLISHED,
                                authors=[author], summary="The **cache** was cold.")
    draft = make_postmortem(title="Queue backlog", authors=[author])
    return {"reader": reader, "author": author, "facilitator": facilitator, "published": published, "draft": draft}


def test_people_sign_in_and_read_the_main_pages(server, people):
    reader = Browser(server["port"])
    signed_in = reader.sign_in("rita")
    session = reader.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert reader.cookies["csrftoken"]["secure"]
    assert_security_headers(signed_in)

    slug = people["published"].slug
    for path in ["/", "/postmortems/", f"/postmortems/{slug}/", "/search/?q=cache", "/action-items/", "/tags/",
                 "/reading-lists/", "/profile/"]:
        response = reader.get(path)
        assert response.status == 200, (path, response.status, response.body[:500])
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert "no-store" in response.getheader("Cache-Control"), path
        assert_security_headers(response)
    page = reader.get(f"/postmortems/{slug}/").body.decode()
    assert "Checkout latency after the cache change" in page and "<strong>cache</strong>" in page
    assert people["draft"].title not in reader.get("/postmortems/").body.decode()
    assert reader.get(f"/postmortems/{people['draft'].slug}/").status == 404

    author = Browser(server["port"])
    author.sign_in("arthur")
    editor = author.get(f"/postmortems/{people['draft'].slug}/edit/")
    assert editor.status == 200 and b"Queue backlog" in editor.body
    assert_security_headers(editor)

    facilitator = Browser(server["port"])
    facilitator.sign_in("fiona")
    for path in ["/insights/", "/admin/", "/admin/postmortems/postmortem/"]:
        response = facilitator.get(path)
        assert response.status == 200, (path, response.status)
        assert_security_headers(response)


def test_static_files_have_hashed_names_compression_and_long_caching(server):
    browser = Browser(server["port"])
    page = browser.get("/accounts/login/").body.decode()
    stylesheets = re.findall(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert stylesheets, "the page links no stylesheet with a hashed name (manifest static files)"
    path = stylesheets[0]
    plain = browser.get(path)
    assert plain.status == 200
    assert plain.getheader("Content-Type").startswith("text/css")
    assert "immutable" in plain.getheader("Cache-Control") and "max-age=315360000" in plain.getheader(
        "Cache-Control")
    compressed = browser.get(path, headers={"Accept-Encoding": "gzip"})
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(compressed.body) == plain.body
    assert "Accept-Encoding" in compressed.getheader("Vary")
    # The unhashed name is no longer referenced by pages and is not cached for long.
    unhashed = re.sub(r"\.[0-9a-f]{12}\.css$", ".css", path)
    response = browser.get(unhashed)
    assert response.status == 200 and "immutable" not in (response.getheader("Cache-Control") or "")


def test_plain_http_is_sent_to_https_and_unknown_hosts_are_refused(server):
    browser = Browser(server["port"])
    response = browser.get("/postmortems/?page=2", https=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/postmortems/?page=2"
    assert browser.get("/", headers={"Host": "evil.example.net"}).status == 400


def test_debug_is_off_errors_show_no_internals(server, people):
    browser = Browser(server["port"])
    browser.sign_in("rita")
    response = browser.get("/no-such-page/")
    assert response.status == 404
    body = response.body.decode()
    assert "URLconf" not in body and "DEBUG" not in body and "Traceback" not in body
    assert_security_headers(response)


def test_the_access_log_records_each_request_with_its_time_and_no_query_string(server):
    browser = Browser(server["port"])
    browser.get("/healthz")
    browser.get("/accounts/login/?next=/search/%3Fq%3Dsecret-term")
    deadline = time.monotonic() + 5
    while "GET /accounts/login/ HTTP/1.1" not in server["log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server["log"].read_text()
    line = next(line for line in log.splitlines() if "GET /accounts/login/ HTTP/1.1" in line)
    assert re.search(r'^203\.0\.113\.7 127\.0\.0\.1 \[.+\] "GET /accounts/login/ HTTP/1\.1" 200 \d+ \d+ms ', line), line
    assert "secret-term" not in log
