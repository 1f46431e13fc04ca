"""Saving in the browser: a failed save loses nothing, a conflict is resolved side by side, and the
"leave page?" prompt stays quiet after a save."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def accept_dialogs(page):
    page.on("dialog", lambda dialog: dialog.accept())


def fail_saves(page, how):
    """Make every save of the editor fail: "abort" (network down) or an HTTP status."""

    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        if how == "abort":
            return route.abort("internetdisconnected")
        return route.fulfill(status=how, content_type="text/html", body="<h1>Server Error</h1>")

    page.route(re.compile(r".*/edit/$"), handle)


def test_a_failed_save_keeps_everything_and_offers_it_back(page, live_server, login, draft):
    login(page, "arthur")
    accept_dialogs(page)
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    summary = page.get_by_label("Summary", exact=True)
    story = page.get_by_label("What happened", exact=True)
    summary.fill("Checkout requests timed out for 40 minutes.")
    story.fill("A config change halved the cache TTL; the database took the load.")

    fail_saves(page, "abort")
    page.get_by_role("button", name="Save", exact=True).click()
    problem = page.locator("[data-save-problem]")
    expect(problem).to_contain_text("Not saved: the server could not be reached")
    expect(problem).to_contain_text("Your text is kept here and in this browser.")
    expect(summary).to_have_value("Checkout requests timed out for 40 minutes.")

    page.unroute(re.compile(r".*/edit/$"))
    fail_saves(page, 500)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(problem).to_contain_text("the server had a problem (500)")
    expect(story).to_have_value("A config change halved the cache TTL; the database took the load.")
    assert draft.sections.get(heading="Summary").body == ""

    # The tab is closed and opened again: the editor offers the copy kept in this browser.
    page.unroute(re.compile(r".*/edit/$"))
    page.reload()
    expect(page.get_by_label("Summary", exact=True)).to_have_value("")
    offer = page.get_by_role("button", name=re.compile(r"^Restore your unsaved changes from \d"))
    expect(offer).to_be_visible()
    offer.click()
    expect(page.get_by_label("Summary", exact=True)).to_have_value("Checkout requests timed out for 40 minutes.")
    expect(page.get_by_label("What happened", exact=True)).to_have_value(
        "A config change halved the cache TTL; the database took the load.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert draft.sections.get(heading="Summary").body == "Checkout requests timed out for 40 minutes."
    assert draft.sections.get(heading="What happened").body.startswith("A config change halved")

    # Saved: nothing is offered any more, and leaving asks nothing.
    page.reload()
    expect(page.locator("[data-restore-offer]")).to_have_count(0)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="View the write-up").click()
    expect(page).to_have_url(re.compile(rf"/postmortems/{draft.slug}/$"))
    assert dialogs == []


def test_discarding_the_kept_copy(page, live_server, login, draft):
    login(page, "arthur")
    accept_dialogs(page)
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_label("Summary", exact=True).fill("Not wanted after all.")
    fail_saves(page, 500)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-save-problem]")).to_be_visible()
    page.unroute(re.compile(r".*/edit/$"))
    page.reload()
    page.get_by_role("button", name="Discard").click()
    expect(page.locator("[data-restore-offer]")).to_have_count(0)
    page.reload()
    expect(page.locator("[data-restore-offer]")).to_have_count(0)


def test_no_leave_prompt_after_a_successful_save(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_label("Summary", exact=True).fill("Saved words.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="View the write-up").click()
    expect(page).to_have_url(re.compile(rf"/postmortems/{draft.slug}/$"))
    assert dialogs == []


def test_bad_input_shows_the_editor_again_with_everything_typed(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.locator("#id_title").fill("")
    page.get_by_label("What happened", exact=True).fill("Words that must survive a refused save.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Nothing was saved")
    expect(page.get_by_label("What happened", exact=True)).to_have_value("Words that must survive a refused save.")
    page.locator("#id_title").fill("Checkout latency after the cache change")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert draft.sections.get(heading="What happened").body == "Words that must survive a refused save."


def test_conflict_screen_keep_theirs_in_the_browser(page, live_server, login, draft, browser):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    # Another tab saves a summary first.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    other.get_by_label("Summary", exact=True).fill("Their summary, saved first.")
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.locator(".messages")).to_contain_text("Saved.")
    other.close()

    page.get_by_label("Summary", exact=True).fill("My summary.")
    page.get_by_label("What happened", exact=True).fill("My story, which nobody else touched.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Someone saved this post-mortem while you were editing")).to_be_visible()
    panel = page.locator("[data-conflict]")
    expect(panel).to_have_count(1)
    expect(panel).to_contain_text("Their summary, saved first.")
    expect(panel).to_contain_text("My summary.")
    expect(page.get_by_label("What happened", exact=True)).to_have_value("My story, which nobody else touched.")

    # Saving without choosing is refused, and nothing is lost.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Choose “keep mine”, “keep theirs” or “edit”")
    expect(page.get_by_label("Summary", exact=True)).to_have_value("My summary.")

    page.locator("[data-conflict]").get_by_label("Keep theirs").check()
    expect(page.get_by_label("Summary", exact=True)).to_have_value("Their summary, saved first.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert draft.sections.get(heading="Summary").body == "Their summary, saved first."
    assert draft.sections.get(heading="What happened").body == "My story, which nobody else touched."


def test_pasting_many_events_adds_them_all_and_saves(page, live_server, login, draft):
    lines = "\n".join(f"2024-03-01 {14 + i // 60:02d}:{i % 60:02d} UTC step {i}" for i in range(300))
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-paste").fill(lines)
    page.get_by_role("button", name="Preview events").click()
    page.get_by_role("button", name="Add 300 events to the timeline").click()
    # The blank row offered for typing takes the first event.
    expect(page.locator("[data-formset='events'] [data-formset-row]")).to_have_count(300)
    page.get_by_role("button", name="Save", exact=True).click()
    # 300 rows are one request, but a loaded test machine can take a while over it.
    expect(page.locator(".messages")).to_contain_text("Saved.", timeout=60_000)
    assert draft.timeline_events.count() == 300
