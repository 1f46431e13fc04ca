"""The editor's timeline box: a Slack copy with a rename step, and PagerDuty log entries uploaded."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOOLS = Path(__file__).resolve().parent.parent / "data" / "import_corpus" / "tools"
SLACK = """Priya Shah  2:02 PM
checkout is throwing 500s
:eyes: 1
Ken Abara  2:05 PM
rolled back, Priya can you post the status page?"""


def test_slack_copy_speakers_are_renamed_to_roles_in_one_step(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-paste").fill(SLACK)
    page.get_by_role("button", name="Preview events").click()
    preview = page.locator("[data-paste-preview]")
    expect(preview).to_contain_text("2 events found.")
    page.get_by_label("Responder A (Priya Shah)").fill("the incident commander")
    preview.get_by_role("button", name="Add 2 events to the timeline").click()
    rows = page.locator("[data-formset='events'] [data-formset-row]:not([hidden])")
    descriptions = rows.locator("textarea[name$='-description']")
    # The blank row offered for typing takes the first event.
    expect(descriptions.nth(0)).to_have_value("the incident commander: checkout is throwing 500s")
    expect(descriptions.nth(1)).to_have_value(
        "Responder B: rolled back, the incident commander can you post the status page?")


def test_pagerduty_upload_adds_events_and_fills_empty_times(page, live_server, login, draft):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-upload-file").set_input_files(
        [str(TOOLS / f"pagerduty-log-entries-Q3TW4K8ZR2MV0C-page-{n}.json") for n in (1, 2)])
    page.get_by_role("button", name="Preview the upload").click()
    preview = page.locator("[data-paste-preview]")
    expect(preview).to_contain_text("14 events found.")
    expect(preview).to_contain_text("7 assignment and notification entries left out")
    preview.get_by_role("button", name="Add 14 events to the timeline").click()
    expect(page.locator("[data-formset='events'] [data-formset-row]:not([hidden])")).to_have_count(14)
    expect(page.locator("input[name='detected_at']")).to_have_value("2024-03-04T14:02")
    expect(page.locator("input[name='resolved_at']")).to_have_value("2024-03-04T15:58")
