"""The editor's progressive extras: timeline paste, removing rows, the unsaved-changes prompt."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASTE = """2024-03-01 14:05 UTC Pager fired for checkout latency
14:12 escalated to the database on-call
14:31 rolled back the connection-pool change
this line has no time at all"""


def test_paste_preview_then_add_events(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-paste").fill(PASTE)
    page.get_by_role("button", name="Preview events").click()
    preview = page.locator("[data-paste-preview]")
    expect(preview).to_contain_text("3 events found; 1 line not understood")
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview).to_contain_text("this line has no time at all")
    preview.get_by_role("button", name="Add 3 events to the timeline").click()
    rows = page.locator("[data-formset='events'] [data-formset-row]:not([hidden])")
    # The blank row offered for typing takes the first event: no empty row above the pasted ones.
    expect(rows).to_have_count(3)
    expect(rows.first.locator("textarea")).to_have_value("Pager fired for checkout latency")
    expect(page.locator("#timeline-paste")).to_have_value("this line has no time at all")
    # Save, and the three events are on the write-up in order.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert list(draft.timeline_events.values_list("description", flat=True)) == [
        "Pager fired for checkout latency",
        "escalated to the database on-call",
        "rolled back the connection-pool change",
    ]
    assert draft.timeline_events.last().kind == "mitigation"


def test_leaving_with_unsaved_changes_asks_first(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_label("Summary", exact=True).fill("Words not yet saved.")
    expect(page.locator("[data-unsaved-status]")).to_have_text("Unsaved changes.")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    with page.expect_event("dialog"):
        page.get_by_role("link", name="View the write-up").click()
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/edit/")
    expect(page.get_by_label("Summary", exact=True)).to_have_value("Words not yet saved.")


def test_tag_suggestions_complete_the_last_tag(page, live_server, login, draft):
    from postmortems.models import PostMortem, Status

    other = PostMortem.objects.create(title="Older incident", slug="older", status=Status.PUBLISHED)
    other.tags.add("kafka", "kubernetes")
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    tags = page.get_by_label("Tags")
    tags.fill("postgres, kaf")
    suggestion = page.get_by_role("option", name="kafka")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(tags).to_have_value("postgres, kafka, ")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert sorted(draft.tags.names()) == ["kafka", "postgres"]
