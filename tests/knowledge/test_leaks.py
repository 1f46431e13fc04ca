"""Nothing leaks: for each role, search results, totals, facets, tag pages, similar incidents and the feed
show only what PostMortem.objects.visible_to(user) allows."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from knowledge.similar import similar_incidents
from postmortems.models import Profile, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(write_up, author, other_author, facilitator, reader, outsider):
    """Four write-ups that share the word "zephyr", the tag "shared" and factor categories."""
    common = {"summary": "Zephyr gateway timeouts cascaded.", "factor": "Zephyr retries"}
    return {
        "open": write_up(title="Zephyr open incident", tags=["shared", "open-only"], authors=[other_author],
                         **common),
        "restricted": write_up(title="Zephyr restricted incident", tags=["shared", "secret-tag"], restricted=True,
                               authors=[other_author], **common),
        "draft": write_up(title="Zephyr draft incident", tags=["shared", "draft-tag"], status=Status.DRAFT,
                          authors=[author], **common),
        "review": write_up(title="Zephyr review incident", tags=["shared", "review-tag"], status=Status.IN_REVIEW,
                           authors=[other_author], **common),
    }


EXPECTED = {
    "reader": {"open"},
    "outsider": {"open"},
    "author": {"open", "draft"},
    "other_author": {"open", "restricted", "review"},
    "facilitator": {"open", "restricted", "draft", "review"},
}
ROLE_USERNAMES = {"reader": "rita", "outsider": "otto", "author": "arthur", "other_author": "olga",
                  "facilitator": "fiona"}
TAG_OF = {"open": "open-only", "restricted": "secret-tag", "draft": "draft-tag", "review": "review-tag"}


def signed_in(client, role):
    user = User.objects.get(username=ROLE_USERNAMES[role])
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", EXPECTED)
def test_search_results_totals_and_facets(client, world, role):
    signed_in(client, role)
    expected = {world[name].pk for name in EXPECTED[role]}
    response = client.get("/search/", {"q": "zephyr"})
    assert {hit["pm"].pk for hit in response.context["hits"]} == expected
    assert response.context["total"] == len(expected)
    tag_facet = {v.value: v.count for f in response.context["facets"] if f.name == "tag" for v in f.values}
    assert tag_facet["shared"] == len(expected)
    for name, tag in TAG_OF.items():
        assert (tag in tag_facet) == (name in EXPECTED[role]), tag
    facet_total = sum(v.count for f in response.context["facets"] if f.name == "severity" for v in f.values)
    assert facet_total == len(expected)
    body = response.content.decode()
    for name, pm in world.items():
        assert (f"/postmortems/{pm.slug}/" in body) == (name in EXPECTED[role])


@pytest.mark.parametrize("role", EXPECTED)
def test_browsing_and_filters_do_not_leak(client, world, role):
    signed_in(client, role)
    expected = {world[name].pk for name in EXPECTED[role]}
    response = client.get("/search/")
    assert {hit["pm"].pk for hit in response.context["hits"]} == expected
    assert response.context["total"] == len(expected)
    for name, tag in TAG_OF.items():
        response = client.get("/search/", {"tag": tag})
        assert response.context["total"] == (1 if name in EXPECTED[role] else 0)
    for status in ("draft", "in_review"):
        response = client.get("/search/", {"status": status})
        assert all(hit["pm"].pk in expected for hit in response.context["hits"])


@pytest.mark.parametrize("role", EXPECTED)
def test_status_facet_only_for_those_who_see_drafts(client, world, role):
    signed_in(client, role)
    response = client.get("/search/", {"q": "zephyr"})
    status = {v.value: v.count for f in response.context["facets"] if f.name == "status" for v in f.values}
    if role in ("reader", "outsider"):
        assert status == {}
    else:
        expected = {}
        for name in EXPECTED[role]:
            key = world[name].status
            expected[key] = expected.get(key, 0) + 1
        assert status == expected


@pytest.mark.parametrize("role", EXPECTED)
def test_tag_pages(client, world, role):
    signed_in(client, role)
    listed = {row["tag__slug"]: row["count"] for row in client.get("/tags/").context["tags"]}
    assert listed["shared"] == len(EXPECTED[role])
    for name, tag in TAG_OF.items():
        visible = name in EXPECTED[role]
        assert (tag in listed) == visible
        response = client.get(f"/tags/{tag}/")
        assert response.status_code == (200 if visible else 404)
    shared = client.get("/tags/shared/")
    assert {pm.pk for pm in shared.context["page"].object_list} == {world[n].pk for n in EXPECTED[role]}
    for name, tag in TAG_OF.items():
        names = client.get("/tags/autocomplete/", {"q": tag[:4]}).json()["tags"]
        assert (tag in names) == (name in EXPECTED[role]), tag


@pytest.mark.parametrize("role", EXPECTED)
def test_similar_incidents(client, world, role):
    user = signed_in(client, role)
    source = world["open"]
    found = {pm.pk for pm in similar_incidents(user=user, postmortem=source)}
    assert found == {world[n].pk for n in EXPECTED[role] if n != "open"}
    response = client.get("/similar/", {"title": "Zephyr incident", "summary": "gateway timeouts"})
    body = response.content.decode()
    for name, pm in world.items():
        assert (pm.title in body) == (name in EXPECTED[role])


@pytest.mark.parametrize("role", EXPECTED)
def test_feed(client, world, role):
    user = User.objects.get(username=ROLE_USERNAMES[role])
    for pm in world.values():
        if pm.status == Status.PUBLISHED:
            pm.published_at = timezone.now()
            pm.save(update_fields=["published_at"])
    token = Profile.for_user(user).feed_token
    body = client.get("/feeds/published/", {"token": token}).content.decode()
    for name, pm in world.items():
        shown = name in EXPECTED[role] and pm.status == Status.PUBLISHED
        assert (pm.title in body) == shown, name


@pytest.mark.parametrize("role", EXPECTED)
def test_did_you_mean_shows_only_words_of_visible_write_ups(client, write_up, world, role):
    """Each world write-up carries its own planted word; a typo of each is offered only where it is visible."""
    for name, pm in world.items():
        write_up(title=f"{pm.title} planted{name}quokka", status=pm.status, restricted=pm.restricted,
                 authors=list(pm.authors.all()))
    signed_in(client, role)
    for name in world:
        response = client.get(f"/search/?q=plantd{name}quokka+OR+zephyrr")
        body = response.content.decode()
        assert response.context["total"] >= 1
        assert "Showing results for" in body  # zephyr is visible to everyone
        assert (f"planted{name}quokka" in body) == (name in EXPECTED[role]), name
