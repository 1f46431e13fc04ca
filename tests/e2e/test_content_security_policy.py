"""With the Content-Security-Policy on, the main pages and the admin work and the browser reports no violation."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in the page before its own scripts (Playwright adds it outside the page's policy).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every console error and CSP violation collected; the test ends by checking there were none."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.add_init_script(LISTEN)

    def visit(url):
        page.goto(url)
        page.wait_for_load_state("load")
        return page

    def check():
        violations = page.evaluate("window.__violations || []")
        assert violations == [] and errors == [], (violations, errors)

    visit.check = check
    return visit


@pytest.fixture
def library(draft):
    """A published write-up with text, tags and an action item; a facilitator; a draft (the editor's)."""
    from knowledge.search import index_postmortem
    from postmortems.models import ActionItem, PostMortem, Section, Status
    from tests.factories import make_user

    make_user("fiona", "Facilitators", staff=True, first_name="Fiona")
    published = PostMortem.objects.create(
        title="Gateway timeouts", slug="gateway-timeouts", summary="The **gateway** timed out.",
        status=Status.PUBLISHED, started_at=datetime(2024, 2, 1, 9, tzinfo=UTC),
        published_at=datetime(2024, 2, 2, 9, tzinfo=UTC), severity="sev2",
    )
    Section.objects.create(postmortem=published, heading="What happened", body="Calls *timed out*.\n\n- one\n- two")
    ActionItem.objects.create(postmortem=published, title="Alert on gateway latency")
    published.tags.add("gateway")
    index_postmortem(published)
    return published


def test_main_pages_raise_no_policy_violation_or_console_error(page, live_server, login, watched, library, draft):
    login(page, "fiona")
    for path in ("/", "/postmortems/", f"/postmortems/{library.slug}/", "/search/?q=gateway", "/search/?q=gatewy",
                 "/insights/", "/action-items/?owner=all", "/tags/", "/profile/",
                 f"/postmortems/{draft.slug}/history/"):
        watched(f"{live_server.url}{path}")
    watched(f"{live_server.url}/postmortems/{library.slug}/")
    expect(page.get_by_role("button", name="Print / PDF")).to_be_visible()  # shown by the static script
    watched(f"{live_server.url}/profile/")
    page.locator("#feed-url").focus()
    assert page.evaluate("window.getSelection().toString() || document.activeElement.selectionEnd") != 0
    watched.check()


def test_the_editor_previews_coaches_and_adds_rows_under_the_policy(page, live_server, login, watched, draft):
    login(page, "arthur")
    watched(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    summary = page.get_by_label("Summary", exact=True)
    summary.fill("Checkout was **slow** because someone carelessly flushed the cache.")
    expect(page.locator(".markdownx-preview strong").first).to_have_text("slow")
    expect(page.locator(".coach-hint mark").first).to_have_text("carelessly")
    page.locator("[data-formset='events'] [data-formset-add]").click()
    expect(page.locator("[data-formset='events'] [data-formset-row]:not([hidden])")).to_have_count(2)
    watched.check()


def test_the_admin_change_form_and_its_autocomplete_work_under_the_policy(page, live_server, login, watched,
                                                                           library, draft):
    draft.tags.add("gateway-limits")
    login(page, "fiona")
    watched(f"{live_server.url}/admin/")
    watched(f"{live_server.url}/admin/postmortems/postmortem/")
    watched(f"{live_server.url}/admin/postmortems/postmortem/{library.pk}/change/")  # published: read-only
    watched(f"{live_server.url}/admin/postmortems/postmortem/{draft.pk}/change/")
    page.locator(".field-tags .select2-selection").click()
    page.locator(".select2-search__field:focus").fill("gate")
    expect(page.get_by_role("option", name="gateway", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    watched(f"{live_server.url}/admin/postmortems/postmortem/add/")
    watched(f"{live_server.url}/admin/postmortems/languagerule/add/")
    watched.check()


def test_past_the_rate_limits_the_editor_says_so(page, live_server, login, settings, draft):
    settings.RATE_LIMITS = {"preview": 1, "coach": 1, "timeline_paste": 1}
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    summary = page.get_by_label("Summary", exact=True)
    summary.fill("Someone carelessly flushed the cache.")  # the one check of the minute
    expect(page.locator(".coach-hint mark").first).to_have_text("carelessly")
    summary.fill("The cache was flushed by a cron job.")
    expect(page.locator(".coach-panel__error")).to_contain_text("The coach checks at most 1 times a minute")
    # The page's own previews on load used the one preview of the minute.
    paused = page.locator(".markdownx", has=summary).locator(".preview-paused")
    expect(paused).to_contain_text("The preview is paused for")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-paste").fill("14:05 Pager fired")
    page.get_by_role("button", name="Preview events").click()
    expect(page.locator("[data-paste-preview]")).to_contain_text("1 event found")
    page.get_by_role("button", name="Preview events").click()
    expect(page.locator("[data-paste-preview]")).to_contain_text("Timelines are read at most 1 times a minute")
