"""In the browser: an author amends a published post-mortem, a facilitator reviews and publishes it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(draft):
    from postmortems import services
    from tests.factories import make_user

    facilitator = make_user("fiona", "Facilitators", staff=True, first_name="Fiona", last_name="Facilitator")
    make_user("rita", "Readers", first_name="Rita")
    doc = services.document_of(draft)
    for section in doc["sections"]:
        section["body"] = f"{section['heading']}: the cache emptied and checkout slowed down."
    author = draft.authors.get()
    services.postmortem_save(postmortem=draft, user=author, base_version=draft.version, document=doc, submit=True)
    services.postmortem_publish(postmortem=draft, user=facilitator)
    draft.refresh_from_db()
    return draft


def test_amend_review_and_publish(page, live_server, login, published, browser):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{published.slug}/")
    page.get_by_role("link", name="Amend", exact=True).click()
    expect(page.get_by_role("heading", name="Changes to a published post-mortem go into an amendment")).to_be_visible()
    story = page.get_by_label("What happened", exact=True)
    story.fill("The cache emptied. Bob forgot to run the migration, human error.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved in the amendment")
    expect(page.get_by_role("heading", name="You are editing the amendment")).to_be_visible()

    # A reader still reads the published text.
    reader_context = browser.new_context()
    reader = reader_context.new_page()
    login(reader, "rita")
    reader.goto(f"{live_server.url}/postmortems/{published.slug}/")
    expect(reader.locator("article")).to_contain_text("the cache emptied and checkout slowed down")
    expect(reader.locator("article")).not_to_contain_text("Bob forgot")

    # The author submits it from the editor, and lands on the amendment's review page.
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page).to_have_url(re.compile(rf"/postmortems/{published.slug}/amendment/$"))
    expect(page.locator(".diff ins").first).to_be_visible()

    # The facilitator reviews: the coach holds publishing until the blaming words are handled.
    fac_context = browser.new_context()
    fac = fac_context.new_page()
    login(fac, "fiona")
    fac.get_by_role("link", name=published.title).first.click()
    expect(fac).to_have_url(re.compile(rf"/postmortems/{published.slug}/amendment/$"))
    expect(fac.locator("#coach-findings")).to_contain_text("human error")
    fac.get_by_role("button", name="Publish the amendment").click()
    expect(fac.locator(".messages")).to_contain_text("still open")

    # The author rewrites the sentence in the editor; the facilitator publishes.
    page.goto(f"{live_server.url}/postmortems/{published.slug}/edit/")
    page.get_by_label("What happened", exact=True).fill(
        "The cache emptied. The migration step was missing from the deploy checklist.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved in the amendment")
    fac.reload()
    fac.get_by_role("button", name="Publish the amendment").click()
    expect(fac.locator(".messages")).to_contain_text("Published: the amendment is now the text readers see.")

    reader.reload()
    expect(reader.locator("article")).to_contain_text("The migration step was missing from the deploy checklist.")
    expect(reader.locator(".writeup__people")).to_contain_text("Facilitated by")
    amended = reader.get_by_role("link", name=re.compile(r"^Amended on \d"))
    expect(amended).to_be_visible()
    amended.click()
    expect(reader).to_have_url(re.compile(r"/history/\?version=\d+$"))
    reader_context.close()
    fac_context.close()
