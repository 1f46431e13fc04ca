"""End to end: an author writes a post-mortem, a facilitator publishes it, a reader reads it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_write_submit_publish_read(page, live_server, login, browser):
    from tests.factories import make_user

    make_user("arthur", "Authors", first_name="Arthur")
    make_user("fiona", "Facilitators", staff=True, first_name="Fiona")
    make_user("rita", "Readers", first_name="Rita")

    # The author starts from the Lightweight template.
    login(page, "arthur")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Write").click()
    page.get_by_label("Lightweight").check()
    page.get_by_label("Title").fill("Image uploads failed after bucket policy change")
    page.get_by_label("Severity").select_option("sev2")
    page.get_by_label("Incident started").fill("2024-03-01T14:00")
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(re.compile(r"/postmortems/image-uploads-failed-after-bucket-policy-change-[a-z2-9]{6}/edit/$"))

    # Markdown with a live preview.
    summary = page.get_by_label("Summary", exact=True)
    summary.fill("Uploads **failed** for 25 minutes after a bucket policy change.")
    preview = page.locator(".markdownx-preview").first
    expect(preview.locator("strong")).to_have_text("failed")
    story = "The storage team applied a tightened policy; the upload service lost write access."
    page.get_by_label("What happened", exact=True).fill(story)

    # A timeline row and an action item, added in the page.
    page.get_by_role("button", name="+ Add event").click()
    event = page.locator("[data-formset='events'] [data-formset-row]").last
    event.get_by_label("When").fill("2024-03-01T14:05")
    event.get_by_label("Kind").select_option("detection")
    event.get_by_label("What happened").fill("Error-rate alert paged the on-call engineer.")
    page.get_by_role("button", name="+ Add action item").click()
    action = page.locator("[data-formset='actions'] [data-formset-row]").last
    action.get_by_label("Title").fill("Add a policy dry-run check to the storage pipeline")
    action.get_by_label("Priority").select_option("high")
    action.get_by_label("Owner").select_option(label="Arthur")
    action.get_by_label("Due date").fill("2024-04-15")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")

    # Submit for review from the write-up.
    page.get_by_role("link", name="View the write-up").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messages")).to_contain_text("Submitted for review")
    slug_url = page.url

    # The facilitator publishes it.
    context = browser.new_context()
    fac = context.new_page()
    login(fac, "fiona")
    fac.goto(slug_url)
    fac.get_by_role("button", name="Publish").click()
    expect(fac.locator(".messages")).to_contain_text("Published")
    context.close()

    # A reader reads it: the timeline row with its offset, the action item, the rendered Markdown.
    context = browser.new_context()
    reader = context.new_page()
    login(reader, "rita")
    reader.goto(slug_url)
    expect(reader.get_by_role("heading", level=1)).to_have_text("Image uploads failed after bucket policy change")
    expect(reader.locator("table.timeline")).to_contain_text("T+00:05")
    expect(reader.locator("table.timeline")).to_contain_text("Error-rate alert paged the on-call engineer.")
    expect(reader.locator("table.actions")).to_contain_text("Add a policy dry-run check")
    expect(reader.locator(".writeup__section strong").first).to_have_text("failed")
    context.close()
