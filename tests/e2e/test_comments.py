"""Browser test: a facilitator comments on a passage (the coach hinting as they type), the author answers and
resolves the thread."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_comment_on_a_passage_reply_and_resolve(page, live_server, login):
    from postmortems.models import PostMortem, Section, Status
    from tests.conftest import make_user

    author = make_user("arthur", "Authors", first_name="Arthur", last_name="Author")
    make_user("fiona", "Facilitators", staff=True, first_name="Fiona")
    pm = PostMortem.objects.create(title="Queue backlog", slug="queue-backlog", status=Status.IN_REVIEW)
    pm.authors.add(author)
    Section.objects.create(postmortem=pm, heading="What happened", body="The queue grew for forty minutes.")

    login(page, "fiona")
    page.goto(f"{live_server.url}/postmortems/queue-backlog/")
    page.get_by_role("link", name="Comments").click()
    page.get_by_label("About").select_option(label="Section: What happened")
    page.get_by_label("Quoted passage").fill("grew for forty minutes")
    body = page.get_by_label("Comment", exact=True)
    body.fill("Was it human error?")  # the coach hints as one types, and never blocks the comment
    expect(page.locator(".comment-hints li").first).to_be_visible()
    body.fill("Which dashboard showed the growth first?")
    expect(page.locator(".comment-hints li")).to_have_count(0)
    page.get_by_role("button", name="Comment", exact=True).click()
    thread = page.locator(".thread", has_text="Which dashboard showed the growth first?")
    expect(thread.locator(".thread__quote")).to_have_text("grew for forty minutes")
    expect(page.locator(".comment-count")).to_have_text("1 open")
    page.context.clear_cookies()

    login(page, "arthur")
    expect(page.get_by_role("link", name="Inbox 1 unread")).to_be_visible()
    page.get_by_role("link", name="Inbox 1 unread").click()
    page.locator(".notification", has_text="commented on").get_by_role("button", name="Open").click()
    page.get_by_role("link", name="Comments").click()
    thread = page.locator(".thread", has_text="Which dashboard showed the growth first?")
    thread.get_by_label("Reply").fill("The queue overview; the graph is in now.")
    thread.get_by_role("button", name="Reply").click()
    thread = page.locator(".thread", has_text="Which dashboard showed the growth first?")
    expect(thread).to_contain_text("The queue overview; the graph is in now.")
    thread.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Thread resolved.")).to_be_visible()
    expect(page.locator(".thread", has_text="Which dashboard")).to_contain_text("Resolved by Arthur Author")
    expect(page.locator(".comment-count")).to_have_count(0)


def test_mention_with_autocomplete_notifies(page, live_server, login):
    from postmortems.models import Notification, NotificationKind, PostMortem, Status
    from tests.conftest import make_user

    author = make_user("arthur", "Authors", first_name="Arthur")
    olga = make_user("olga", "Authors", first_name="Olga", last_name="Other")
    make_user("fiona", "Facilitators", staff=True, first_name="Fiona")
    pm = PostMortem.objects.create(title="Queue backlog", slug="queue-backlog", status=Status.IN_REVIEW)
    pm.authors.set([author, olga])

    login(page, "fiona")
    page.goto(f"{live_server.url}/postmortems/queue-backlog/comments/")
    body = page.get_by_label("Comment", exact=True)
    body.click()
    body.press_sequentially("Can @ol")
    page.get_by_role("button", name="@olga · Olga Other").click()
    body.press_sequentially("check the graph?")
    expect(body).to_have_value("Can @olga check the graph?")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".thread", has_text="Can @olga check the graph?")).to_be_visible()
    assert Notification.objects.filter(recipient=olga, kind=NotificationKind.MENTION).exists()
