"""The facilitator's desk in a browser: the tag autocomplete and sending back from the change page."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_facilitator_tags_with_the_autocomplete_and_sends_back_with_a_comment(page, live_server, login):
    from taggit.models import Tag

    from postmortems.models import PostMortem
    from tests.factories import make_user

    make_user("fiona", "Facilitators", staff=True, first_name="Fiona")
    Tag.objects.create(name="postgres", slug="postgres")
    pm = PostMortem.objects.create(title="Replica lag", slug="replica-lag", status="in_review")
    login(page, "fiona")

    page.goto(f"{live_server.url}/admin/postmortems/postmortem/?queue=review")
    page.get_by_role("link", name="Replica lag").click()
    page.locator(".field-tags .select2-selection").click()
    page.locator(".select2-search__field:focus").fill("postg")
    page.get_by_role("option", name="postgres").click()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert list(PostMortem.objects.get(pk=pm.pk).tags.names()) == ["postgres"]

    page.get_by_role("button", name="Send back…").click()
    page.get_by_label("Comment").fill("Add the timeline from the replica's point of view.")
    page.get_by_role("button", name="Send back").click()
    expect(page.get_by_text("Sent back to draft: “Replica lag”.")).to_be_visible()
    pm.refresh_from_db()
    assert pm.status == "draft"
    assert pm.revisions.get(action="sent back").comment == "Add the timeline from the replica's point of view."
