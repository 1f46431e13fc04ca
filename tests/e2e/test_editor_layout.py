"""The editor on a phone and with many rows: the save bar, moving rows, the authors picker, and
related links added without leaving the page."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _factors(draft, *texts):
    from postmortems.models import ContributingFactor, FactorCategory

    category = FactorCategory.objects.order_by("pk").first()
    for position, text in enumerate(texts):
        ContributingFactor.objects.create(postmortem=draft, category=category, description=text, position=position)
    # Recorded as a revision, as every change is, so the editor's save merges against it.
    from postmortems.services import postmortem_record_change

    postmortem_record_change(postmortem=draft, user=draft.authors.get())


def test_on_a_phone_save_stays_on_screen_and_rows_move_with_the_keyboard(page, live_server, login, draft):
    _factors(draft, "Alpha factor", "Beta factor", "Gamma factor")
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    save = page.get_by_role("button", name="Save", exact=True)
    factors = page.locator("[data-formset='factors'] [data-formset-row]:not([hidden])")
    factors.nth(2).scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 800  # reachable wherever the author is

    # Move "Gamma" to the top from the keyboard: focus its Up button and press Enter twice.
    up = factors.nth(2).get_by_role("button", name="Move up")
    up.focus()
    page.keyboard.press("Enter")
    expect(factors.nth(1).locator("textarea")).to_have_value("Gamma factor")
    page.keyboard.press("Enter")  # the focus stayed on the moved row's button
    expect(factors.nth(0).locator("textarea")).to_have_value("Gamma factor")
    expect(page.locator("[aria-live=polite]", has_text="Moved to row 1 of")).to_have_count(1)
    save.click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert list(draft.factors.order_by("position").values_list("description", flat=True)) == [
        "Gamma factor", "Alpha factor", "Beta factor"]


def test_authors_are_found_by_typing_and_ticked(page, live_server, login, draft):
    from tests.conftest import make_user

    make_user("bruno", "Authors", first_name="Bruno", last_name="Castellanos")
    make_user("freya", "Facilitators", first_name="Freya", last_name="Lindqvist")
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    expect(page.locator("select[name=authors]")).to_be_hidden()
    page.get_by_label("Authors").fill("cast")
    picks = page.locator(".picker__list li:visible")
    expect(picks).to_have_count(1)
    picks.get_by_label("Bruno Castellanos").check()
    page.get_by_label("Authors").fill("nobody like this")
    expect(page.get_by_text("Nobody by that name.")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    assert set(draft.authors.values_list("username", flat=True)) == {"arthur", "bruno"}


def test_adding_a_related_link_mid_edit_keeps_the_unsaved_text_without_a_prompt(page, live_server, login, draft):
    from django.utils import timezone

    from postmortems.models import PostMortem, Status

    PostMortem.objects.create(title="Older checkout outage", slug="older-checkout-outage", status=Status.PUBLISHED,
                              published_at=timezone.now(), started_at=timezone.now())
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_label("Summary", exact=True).fill("Words not yet saved.")
    page.get_by_label("Write-up to link").fill("older-checkout-outage")
    page.get_by_role("button", name="Add link").click()
    links = page.locator("#related-links")
    expect(links.get_by_role("link", name="Older checkout outage")).to_be_visible()
    expect(links.get_by_role("status")).to_contain_text("Linked to")
    assert dialogs == []
    expect(page.get_by_label("Summary", exact=True)).to_have_value("Words not yet saved.")
    assert draft.links_out.count() == 1
    # Removing it works the same way, still without leaving the page.
    links.get_by_role("button", name="Remove the link to Older checkout outage").click()
    expect(page.locator("#related-links").get_by_role("link", name="Older checkout outage")).to_have_count(0)
    assert draft.links_out.count() == 0
    assert dialogs == []
    expect(page.get_by_label("Summary", exact=True)).to_have_value("Words not yet saved.")
