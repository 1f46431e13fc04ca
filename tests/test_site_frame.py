"""The site's frame around every page: error pages, the favicon, the navigation, the feed's own address."""

import re

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from postmortems.models import Profile, Status
from tests.conftest import PASSWORD


def test_server_error_page_renders_without_database_or_request_context():
    # No django_db mark: any query here would fail the test, as a dead database would fail the page.
    response = server_error(RequestFactory().get("/postmortems/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert 'href="/search/"' in body and "hindsight.css" in body


@pytest.mark.django_db
def test_reader_gets_a_framed_403_that_says_why(client, reader):
    client.force_login(reader)
    response = client.get("/postmortems/new/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "Only authors and facilitators write post-mortems." in body
    assert 'class="site-header"' in body and "Where to go from here" in body


@pytest.mark.django_db
def test_framed_404_does_not_tell_a_hidden_draft_from_a_missing_page(client, reader, author, make_postmortem):
    draft = make_postmortem(title="Secret database migration", authors=[author])
    client.force_login(reader)
    hidden = client.get(f"/postmortems/{draft.slug}/")
    missing = client.get("/postmortems/no-such-thing/")
    assert hidden.status_code == missing.status_code == 404
    assert "Secret database migration" not in hidden.content.decode()
    def page(response, slug):  # the same page, but for the address and the per-response CSRF mask
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(slug, "x"))

    assert page(hidden, draft.slug) == page(missing, "no-such-thing")
    assert "There is nothing here for you" in hidden.content.decode()


@pytest.mark.django_db
def test_favicon_is_served_without_sign_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].startswith("/static/img/favicon") and response["Location"].endswith(".ico")
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
def test_writing_trends_are_in_the_navigation_for_facilitators_only(client, reader, facilitator):
    client.force_login(reader)
    assert 'href="/coach/trends/"' not in client.get("/").content.decode()
    client.force_login(facilitator)
    assert 'href="/coach/trends/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_feed_self_link_carries_the_token(client, reader, make_postmortem):
    from django.utils import timezone

    make_postmortem(status=Status.PUBLISHED, published_at=timezone.now())
    token = Profile.for_user(reader).feed_token
    body = client.get("/feeds/published/", {"token": token}).content.decode()
    assert f'<link href="http://testserver/feeds/published/?token={token}" rel="self"/>' in body
    assert '<link href="http://testserver/search/?sort=newest" rel="alternate"/>' in body
    assert PASSWORD not in body


@pytest.mark.django_db
def test_a_tag_with_a_non_ascii_slug_is_linked_and_has_its_page(client, reader, make_postmortem):
    from django.utils import timezone

    pm = make_postmortem(status=Status.PUBLISHED, published_at=timezone.now())
    pm.tags.add("²")
    slug = pm.tags.get().slug
    client.force_login(reader)
    detail = client.get(f"/postmortems/{pm.slug}/")
    assert detail.status_code == 200
    assert client.get(f"/tags/{slug}/").status_code == 200
    assert client.get("/tags/no-such-tag/").status_code == 404
