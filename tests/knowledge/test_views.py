"""The library's pages: search, tags, reading lists, feed and its token, related links, similar incidents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import ReadingList, ReadingListItem, ReadMark, RelatedLink
from knowledge.services import unfinished_reading_lists
from postmortems.models import ActionItem, Profile, Status, Team

pytestmark = pytest.mark.django_db


def queries(client, path, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(captured)


# -- search page --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    for path in ("/search/", "/tags/", "/tags/x/", "/tags/autocomplete/", "/reading-lists/", "/similar/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_search_page_shows_hits_with_snippet_severity_date_teams_and_tags(client, reader, write_up, team):
    write_up(title="Checkout <em>latency</em>", summary="Latency rose for checkout.", tags=["Checkout", "postgres"],
             teams=[team], severity="sev2")
    client.force_login(reader)
    response = client.get("/search/", {"q": "latency"})
    body = response.content.decode()
    assert "<mark>latency</mark>" in body.lower() or "<mark>Latency</mark>" in body
    assert "<em>" not in body.split('id="main"')[1]
    assert "SEV2" in body and "Payments" in body and "/tags/checkout/" in body and "/tags/postgres/" in body
    assert "1 post-mortem match" in body


def test_search_page_facet_links_combine_and_remove(client, reader, write_up):
    write_up(title="Database failover", tags=["postgres"], severity="sev1")
    write_up(title="Database slow", tags=["postgres"], severity="sev2")
    write_up(title="Database disk", tags=["disk"], severity="sev2")
    client.force_login(reader)
    response = client.get("/search/", {"q": "database", "tag": "postgres"})
    assert response.context["total"] == 2
    severity = {v.value: v for f in response.context["facets"] if f.name == "severity" for v in f.values}
    assert {k: v.count for k, v in severity.items()} == {"sev1": 1, "sev2": 1}
    combined = client.get("/search/" + severity["sev2"].url)
    assert combined.context["total"] == 1
    chip = next(c for c in combined.context["selected"] if c["name"] == "tag")
    assert client.get("/search/" + chip["url"]).context["total"] == 2


def test_tag_filter_is_case_insensitive(client, reader, write_up):
    write_up(title="Redis eviction", tags=["Redis"])
    client.force_login(reader)
    assert client.get("/search/", {"tag": "REDIS"}).context["total"] == 1
    assert client.get("/search/", {"tag": "no-such-tag"}).context["total"] == 0


def test_bad_parameters_do_not_break_the_page(client, reader, write_up):
    write_up(title="Disk full")
    client.force_login(reader)
    for params in ({"page": "x"}, {"page": "-4"}, {"page": "99999"}, {"sort": "drop"}, {"year": "20x4"},
                   {"severity": "sev9"}, {"status": "secret"}, {"q": '"'}, {"factor": "nope"}):
        assert client.get("/search/", params).status_code == 200


def test_search_pagination_links(client, reader, write_up):
    for i in range(23):
        write_up(title=f"Queue backlog {i}")
    client.force_login(reader)
    first = client.get("/search/", {"q": "backlog"})
    assert len(first.context["hits"]) == 20 and first.context["next_url"]
    second = client.get("/search/" + first.context["next_url"])
    assert len(second.context["hits"]) == 3 and not second.context["next_url"]
    assert second.context["previous_url"]


def test_did_you_mean_link(client, reader, write_up):
    write_up(title="Certificate expired")
    client.force_login(reader)
    response = client.get("/search/", {"q": "certifcate"})
    body = response.content.decode()
    assert response.context["total"] == 1
    assert "Showing results for <strong>certificate</strong>" in body
    assert 'href="/search/?q=certifcate&amp;exact=1"' in body
    exact = client.get("/search/", {"q": "certifcate", "exact": "1"})
    assert exact.context["total"] == 0 and "Showing results for" not in exact.content.decode()


def test_search_post_is_not_allowed(client, reader):
    client.force_login(reader)
    assert client.post("/search/").status_code == 405


@pytest.mark.parametrize("params", [{"q": "backlog"}, {}, {"q": "backlog", "tag": "queue", "sort": "newest"}])
def test_search_query_count_does_not_grow_with_page_size(client, reader, write_up, params):
    team = Team.objects.create(name="Ops", slug="ops")
    client.force_login(reader)
    write_up(title="Queue backlog first", tags=["queue", "a"], teams=[team])
    few = queries(client, "/search/", params)
    for i in range(25):
        write_up(title=f"Queue backlog {i}", tags=["queue", f"t{i}"], teams=[team])
    assert queries(client, "/search/", params) == few


def test_tag_and_list_pages_query_count_does_not_grow(client, reader, write_up, facilitator):
    client.force_login(reader)
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here")
    first = write_up(title="One", tags=["queue"])
    ReadingListItem.objects.create(reading_list=reading_list, postmortem=first, position=0)
    counts = {path: queries(client, path) for path in ("/tags/", "/tags/queue/", "/reading-lists/",
                                                        "/reading-lists/start-here/")}
    for i in range(15):
        pm = write_up(title=f"More {i}", tags=["queue", f"x{i}"])
        ReadingListItem.objects.create(reading_list=reading_list, postmortem=pm, position=i + 1)
        ReadingList.objects.create(title=f"List {i}", slug=f"list-{i}").items.create(postmortem=pm)
    for path, count in counts.items():
        assert queries(client, path) == count, path


# -- tags ---------------------------------------------------------------------------------------


def test_tag_page_redirects_other_case_to_the_slug(client, reader, write_up):
    write_up(title="Redis eviction", tags=["redis"])
    client.force_login(reader)
    response = client.get("/tags/REDIS/")
    assert response.status_code == 302 and response["Location"] == "/tags/redis/"


def test_tag_autocomplete_prefers_prefix_matches(client, author, write_up):
    write_up(title="A", tags=["postgres", "pgbouncer", "compost"])
    client.force_login(author)
    assert client.get("/tags/autocomplete/", {"q": "POST"}).json() == {"tags": ["postgres", "compost"]}
    assert client.get("/tags/autocomplete/", {"q": ""}).json() == {"tags": []}


# -- reading lists ------------------------------------------------------------------------------


@pytest.fixture
def start_here(write_up, other_author):
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here", description="Our *best*.")
    items = [
        ReadingListItem.objects.create(reading_list=reading_list, postmortem=write_up(title=f"Lesson {i}"),
                                       position=i, note=f"Look at step {i}.")
        for i in range(3)
    ]
    hidden = write_up(title="Hidden lesson", restricted=True, authors=[other_author])
    ReadingListItem.objects.create(reading_list=reading_list, postmortem=hidden, position=9)
    return reading_list, items


def test_reading_list_marks_and_progress(client, reader, start_here):
    reading_list, items = start_here
    client.force_login(reader)
    page = client.get("/reading-lists/start-here/")
    assert page.context["item_count"] == 3 and page.context["read_count"] == 0
    assert "Hidden lesson" not in page.content.decode()
    response = client.post(f"/reading-lists/start-here/items/{items[1].pk}/read/", {"read": "1"})
    assert response.status_code == 302 and response["Location"] == f"/reading-lists/start-here/#item-{items[1].pk}"
    assert client.post(f"/reading-lists/start-here/items/{items[1].pk}/read/", {"read": "1"}).status_code == 302
    page = client.get("/reading-lists/start-here/")
    assert page.context["read_count"] == 1 and page.context["percent"] == 33
    assert [i.is_read for i in page.context["items"]] == [False, True, False]
    index = client.get("/reading-lists/")
    [card] = index.context["reading_lists"]
    assert (card.read_count, card.item_count) == (1, 3)
    client.post(f"/reading-lists/start-here/items/{items[1].pk}/read/", {"read": "0"})
    assert not ReadMark.objects.exists()


def test_reading_list_hidden_item_cannot_be_marked(client, reader, start_here):
    reading_list, _ = start_here
    hidden = reading_list.items.get(postmortem__title="Hidden lesson")
    client.force_login(reader)
    assert client.post(f"/reading-lists/start-here/items/{hidden.pk}/read/", {"read": "1"}).status_code == 404
    assert client.get(f"/reading-lists/start-here/items/{hidden.pk}/read/").status_code == 405


def test_unfinished_reading_lists_for_the_home_page(reader, start_here):
    reading_list, items = start_here
    assert unfinished_reading_lists(reader) == [reading_list]
    for item in items:
        ReadMark.objects.create(user=reader, item=item)
    assert unfinished_reading_lists(reader) == []


def test_reading_list_with_nothing_visible_is_404(client, reader, other_author, write_up):
    reading_list = ReadingList.objects.create(title="Secret", slug="secret")
    reading_list.items.create(postmortem=write_up(title="X", restricted=True, authors=[other_author]))
    client.force_login(reader)
    assert client.get("/reading-lists/secret/").status_code == 404
    assert client.get("/reading-lists/").context["reading_lists"] == []


# -- feed ---------------------------------------------------------------------------------------


def test_feed_token_valid_wrong_and_rotated(client, reader, write_up):
    write_up(title="Published lesson")
    profile = Profile.for_user(reader)
    old = profile.feed_token
    response = client.get("/feeds/published/", {"token": old})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert "Published lesson" in response.content.decode()
    assert client.get("/feeds/published/", {"token": old + "x"}).status_code == 404
    assert client.get("/feeds/published/").status_code == 404
    client.force_login(reader)
    response = client.post("/profile/feed-token/")
    assert response.status_code == 302 and response["Location"] == "/profile/"
    client.logout()
    assert client.get("/feeds/published/", {"token": old}).status_code == 404
    assert client.get("/feeds/published/", {"token": Profile.for_user(reader).feed_token}).status_code == 200


def test_feed_token_rotation_needs_post_and_sign_in(client, reader):
    assert client.post("/profile/feed-token/").status_code == 302
    client.force_login(reader)
    assert client.get("/profile/feed-token/").status_code == 405


def test_feed_url_partial_shows_the_token(rf, reader):
    from django.template.loader import render_to_string

    request = rf.get("/profile/")
    request.user = reader
    profile = Profile.for_user(reader)
    html = render_to_string("knowledge/includes/_feed_url.html", {"profile": profile}, request=request)
    assert f"/feeds/published/?token={profile.feed_token}" in html and "/profile/feed-token/" in html


# -- related links ------------------------------------------------------------------------------


def test_author_links_and_unlinks_both_directions(client, author, reader, write_up):
    mine = write_up(title="My outage", authors=[author])
    other = write_up(title="Earlier outage")
    client.force_login(author)
    response = client.post(f"/postmortems/{mine.slug}/links/add/", {"target": other.slug, "note": "same failure mode"})
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{mine.slug}/edit/#related-links"
    link = RelatedLink.objects.get()
    assert (link.source, link.target, link.note, link.created_by) == (mine, other, "same failure mode", author)
    client.force_login(reader)
    for pm, other_title in ((mine, "Earlier outage"), (other, "My outage")):
        body = client.get(f"/postmortems/{pm.slug}/").content.decode()
        assert other_title in body and "same failure mode" in body
    client.force_login(author)
    client.post(f"/postmortems/{mine.slug}/links/{link.pk}/delete/")
    assert not RelatedLink.objects.exists()


def test_link_by_full_address_and_errors(client, author, write_up, other_author):
    mine = write_up(title="My outage", authors=[author])
    other = write_up(title="Earlier outage")
    hidden = write_up(title="Hidden", status=Status.DRAFT, authors=[other_author])
    client.force_login(author)
    client.post(f"/postmortems/{mine.slug}/links/add/", {"target": f"http://x/postmortems/{other.slug}/"},
                follow=True)
    assert RelatedLink.objects.count() == 1
    for target in (other.slug, hidden.slug, mine.slug, "nope", ""):
        response = client.post(f"/postmortems/{mine.slug}/links/add/", {"target": target}, follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["error"], target
    assert RelatedLink.objects.count() == 1


def test_link_permissions(client, reader, other_author, author, write_up):
    mine = write_up(title="My outage", authors=[author])
    other = write_up(title="Earlier outage")
    link = RelatedLink.objects.create(source=mine, target=other)
    client.force_login(reader)
    assert client.post(f"/postmortems/{mine.slug}/links/add/", {"target": other.slug}).status_code == 403
    assert client.post(f"/postmortems/{mine.slug}/links/{link.pk}/delete/").status_code == 403
    client.force_login(other_author)
    assert client.post(f"/postmortems/{mine.slug}/links/{link.pk}/delete/").status_code == 403
    draft = write_up(title="Draft", status=Status.DRAFT, authors=[author])
    assert client.post(f"/postmortems/{draft.slug}/links/add/", {"target": other.slug}).status_code == 404
    client.force_login(author)
    assert client.get(f"/postmortems/{mine.slug}/links/add/").status_code == 405
    assert RelatedLink.objects.count() == 1


# -- similar incidents --------------------------------------------------------------------------


def test_similar_fragment_shows_open_action_items(client, author, write_up):
    earlier = write_up(title="Payment gateway timeouts", summary="Gateway calls timed out.")
    ActionItem.objects.create(postmortem=earlier, title="Lower the gateway timeout")
    ActionItem.objects.create(postmortem=earlier, title="Finished thing", status="done")
    client.force_login(author)
    body = client.get("/similar/", {"title": "Gateway timeouts again", "summary": ""}).content.decode()
    assert "Payment gateway timeouts" in body and "Lower the gateway timeout" in body
    assert "Finished thing" not in body


def test_similar_fragment_excludes_the_postmortem_being_edited(client, author, write_up):
    mine = write_up(title="Gateway timeouts", authors=[author])
    client.force_login(author)
    body = client.get("/similar/", {"title": "Gateway timeouts", "exclude": mine.slug}).content.decode()
    assert "Nothing similar" in body


def test_home_offers_unfinished_reading_lists_and_profile_shows_the_feed(client, reader, start_here):
    client.force_login(reader)
    home = client.get("/").content.decode()
    assert "Reading lists for you" in home and "/reading-lists/start-here/" in home
    profile = client.get("/profile/").content.decode()
    assert f"/feeds/published/?token={Profile.for_user(reader).feed_token}" in profile
    assert 'action="/profile/feed-token/"' in profile


def test_tag_autocomplete_matches_word_starts_and_synonyms(client, author, write_up):
    write_up(title="A", tags=["certificate-expiry", "kubernetes", "expensive-queries", "texport"])
    client.force_login(author)
    assert client.get("/tags/autocomplete/", {"q": "exp"}).json() == {
        "tags": ["expensive-queries", "certificate-expiry", "texport"]}
    assert client.get("/tags/autocomplete/", {"q": "k8s"}).json() == {"tags": ["kubernetes"]}
