"""Shared figures are cached per audience under the library's version, which every change replaces."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems.models import LibraryVersion, PostMortem, Status
from postmortems.shared_cache import audience, library_version
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def tag_counts(client):
    return {t["tag__slug"]: t["count"] for t in client.get("/tags/").context["tags"]}


def test_a_save_shows_at_once_in_the_cached_tag_counts(client, reader, write_up):
    write_up(title="One", tags=["queue"])
    client.force_login(reader)
    assert tag_counts(client) == {"queue": 1}
    before = library_version()
    write_up(title="Two", tags=["queue", "dns"])  # indexing the save gives the library a new version
    assert library_version() != before
    assert tag_counts(client) == {"dns": 1, "queue": 2}


def test_another_process_change_is_seen_through_the_stored_version(client, reader, write_up):
    pm = write_up(title="One", tags=["queue"])
    client.force_login(reader)
    assert tag_counts(client) == {"queue": 1}
    # What another process's save leaves behind: new rows and a new version, and this process's cache untouched.
    PostMortem.objects.filter(pk=pm.pk).update(status=Status.DRAFT)
    assert tag_counts(client) == {"queue": 1}  # the cached figure is served while the version stands
    LibraryVersion.objects.update(token="from-another-process")
    assert tag_counts(client) == {}


def test_restricted_and_draft_tags_never_reach_another_audience(client, reader, author, facilitator, write_up):
    write_up(title="Open", tags=["queue"])
    write_up(title="Secret", tags=["secret-thing"], restricted=True, authors=[author])
    write_up(title="Draft", tags=["draft-thing"], status=Status.DRAFT, authors=[author])
    for user, expected in ((facilitator, {"queue", "secret-thing", "draft-thing"}),
                           (author, {"queue", "secret-thing", "draft-thing"}),
                           (reader, {"queue"}),
                           (make_user("rhea", "Readers"), {"queue"})):
        client.force_login(user)
        assert set(tag_counts(client)) == expected, user.username


def test_audiences(reader, author, facilitator, outsider, make_postmortem):
    assert audience(facilitator) == "all"
    assert audience(reader) == audience(author) == audience(outsider) == "open"
    make_postmortem(authors=[author], status=Status.PUBLISHED)
    assert audience(author) == "open"
    make_postmortem(authors=[author], status=Status.PUBLISHED, restricted=True)
    assert audience(author) == f"user-{author.pk}"


def test_the_search_page_without_a_query_is_cached_and_refreshed(client, reader, write_up):
    write_up(title="Checkout outage", tags=["checkout"])
    client.force_login(reader)
    first = client.get("/search/")
    assert first.context["total"] == 1
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/search/").context["total"] == 1
    write_up(title="Second outage")
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/search/").context["total"] == 2
    assert len(warm) < len(cold)
    assert client.get("/search/", {"q": "second"}).context["total"] == 1  # queries are never cached


def test_similar_incidents_on_the_page_follow_changes_and_audiences(client, reader, author, write_up):
    source = write_up(title="Redis eviction storm", summary="Redis evicted keys under memory pressure.",
                      tags=["redis"])
    write_up(title="Redis eviction again", summary="Redis evicted keys again.", tags=["redis"])
    write_up(title="Redis eviction in secret", summary="Redis evicted keys.", tags=["redis"], restricted=True,
             authors=[author])
    client.force_login(author)
    assert "Redis eviction in secret" in client.get(f"/postmortems/{source.slug}/").content.decode()
    client.force_login(reader)
    page = client.get(f"/postmortems/{source.slug}/").content.decode()
    assert "Redis eviction again" in page and "Redis eviction in secret" not in page
    write_up(title="Redis eviction a third time", summary="Redis evicted keys a third time.", tags=["redis"])
    assert "Redis eviction a third time" in client.get(f"/postmortems/{source.slug}/").content.decode()


def insights_total(client):
    report = client.get("/insights/", {"period": "all"}).context["report"]
    return sum(figures["total"] for figures in report.per_month.values())


def test_insights_follow_every_change_and_keep_audiences_apart(client, reader, facilitator, write_up):
    write_up(title="Open")
    write_up(title="Restricted", restricted=True)
    client.force_login(facilitator)
    assert insights_total(client) == 2
    client.force_login(reader)
    assert insights_total(client) == 1
    write_up(title="Another open one")
    assert insights_total(client) == 2
    client.force_login(facilitator)
    assert insights_total(client) == 3

