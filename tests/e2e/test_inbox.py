"""Browser test: the inbox count in the header, opening a notification, and marking all read."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_inbox_count_open_and_mark_all_read(page, live_server, login):
    from postmortems import services
    from postmortems.models import PostMortem, Status
    from tests.conftest import make_user

    author = make_user("arthur", "Authors", first_name="Arthur")
    facilitator = make_user("fiona", "Facilitators", staff=True)
    first = PostMortem.objects.create(title="Queue backlog", slug="queue-backlog", status=Status.IN_REVIEW)
    second = PostMortem.objects.create(title="DNS expiry", slug="dns-expiry", status=Status.IN_REVIEW)
    for pm in (first, second):
        pm.authors.add(author)
        services.postmortem_publish(postmortem=pm, user=facilitator)

    login(page, "arthur")
    inbox = page.get_by_role("link", name="Inbox 2 unread")
    expect(inbox).to_be_visible()
    inbox.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    item = page.locator(".notification", has_text="“Queue backlog” was published.")
    item.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name="Queue backlog")).to_be_visible()
    expect(page.get_by_role("link", name="Inbox 1 unread")).to_be_visible()

    page.get_by_role("link", name="Inbox 1 unread").click()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("Marked 1 notification read.")).to_be_visible()
    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
