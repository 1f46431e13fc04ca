import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def publish(title, summary, tags):
    from knowledge.search import index_postmortem
    from postmortems.models import PostMortem, Section, Status

    slug = title.lower().replace(" ", "-")
    pm = PostMortem.objects.create(title=title, slug=slug, summary=summary, status=Status.PUBLISHED,
                                   started_at=timezone.now(), published_at=timezone.now())
    Section.objects.create(postmortem=pm, heading="What happened", body=f"{summary} The on-call engineer was paged.")
    pm.tags.add(*tags)
    index_postmortem(pm)
    return pm


def test_new_reader_searches_filters_opens_follows_similar_and_marks_read(page, live_server, login):
    from knowledge.models import ReadingList, ReadingListItem
    from tests.factories import make_user

    make_user("rita", "Readers", first_name="Rita")
    checkout = publish("Checkout gateway timeouts", "Payments gateway calls timed out during checkout.",
                       ["checkout", "gateway"])
    pool = publish("Gateway connection pool exhausted", "The gateway ran out of pooled connections.", ["gateway"])
    publish("Gateway DNS flapping", "Resolution of the gateway host failed.", ["dns"])
    start = ReadingList.objects.create(title="Start here", slug="start-here")
    ReadingListItem.objects.create(reading_list=start, postmortem=checkout, position=0, note="Read this first.")
    ReadingListItem.objects.create(reading_list=start, postmortem=pool, position=1, note="Then this one.")

    login(page, "rita")
    search_box = page.get_by_role("searchbox", name="Search the library")
    search_box.fill("gateway")
    search_box.press("Enter")
    page.wait_for_url("**/search/?q=gateway")
    assert page.get_by_role("status").first.inner_text().startswith("3 post-mortems")

    page.locator('.facet a[data-facet="tag"][data-value="checkout"]').click()
    page.wait_for_url("**tag=checkout**")
    results = page.locator(".hit__title a")
    assert results.count() == 1
    assert page.get_by_role("link", name="tag: checkout").is_visible()

    results.first.click()
    page.wait_for_url(f"**/postmortems/{checkout.slug}/")
    assert page.get_by_role("heading", name="Checkout gateway timeouts", level=1).is_visible()

    related = page.locator("section.related")
    related.get_by_role("link", name="Gateway connection pool exhausted").click()
    page.wait_for_url(f"**/postmortems/{pool.slug}/")
    assert page.get_by_role("heading", name="Gateway connection pool exhausted", level=1).is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reading lists").click()
    page.get_by_role("link", name="Start here").click()
    page.wait_for_url("**/reading-lists/start-here/")
    assert "0 of 2 read" in page.locator(".progress").inner_text()
    page.get_by_role("button", name="Mark read: Gateway connection pool exhausted").click()
    page.wait_for_url("**/reading-lists/start-here/**")
    assert "1 of 2 read" in page.locator(".progress").inner_text()
    assert page.get_by_role("button", name="Mark unread: Gateway connection pool exhausted").is_visible()
    page.screenshot(path="/tmp/library_reading_list.png", full_page=True)
