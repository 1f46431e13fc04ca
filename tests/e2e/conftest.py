import os

import pytest

# Playwright runs an event loop in the test thread; the live server and ORM calls are still safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def login(live_server):
    """Return a function that signs a Playwright page in through the login form."""
    from tests.conftest import PASSWORD

    def do_login(page, username):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do_login
