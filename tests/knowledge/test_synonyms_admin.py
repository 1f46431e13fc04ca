"""Facilitators keep the search's synonyms in the admin; a change applies to the next search."""

import pytest

from knowledge.models import Synonym
from knowledge.search import Filters, search

pytestmark = pytest.mark.django_db

LIST = "/admin/knowledge/synonym/"
ADD = "/admin/knowledge/synonym/add/"


def test_about_fifty_synonyms_ship_with_the_common_abbreviations():
    terms = set(Synonym.objects.values_list("terms", flat=True))
    assert len(terms) >= 50
    assert {"k8s, kubernetes", "pg, postgres, postgresql", "db, database", "tls, ssl", "oom, out of memory"} <= terms


def test_facilitator_lists_searches_and_adds_synonyms(client, facilitator, write_up, reader):
    pm = write_up(title="Quokka outage")
    client.force_login(facilitator)
    response = client.get(LIST, {"q": "k8s"})
    assert response.status_code == 200 and "k8s, kubernetes" in response.content.decode()
    response = client.post(ADD, {"terms": " Wombat ,QUOKKA, wombat", "note": "Team slang"})
    assert response.status_code == 302
    synonym = Synonym.objects.get(note="Team slang")
    assert synonym.terms == "wombat, quokka"
    assert search(user=reader, text="wombat", filters=Filters()).ids == [pm.pk]


def test_facilitator_edits_and_deletes_a_synonym(client, facilitator, write_up, reader):
    pm = write_up(title="Quokka outage")
    synonym = Synonym.objects.create(terms="wombat, quokka")
    client.force_login(facilitator)
    response = client.post(f"{LIST}{synonym.pk}/change/", {"terms": "marmot, quokka", "note": ""})
    assert response.status_code == 302
    assert search(user=reader, text="marmot", filters=Filters()).ids == [pm.pk]
    assert search(user=reader, text="wombat", filters=Filters()).ids == []
    assert client.post(f"{LIST}{synonym.pk}/delete/", {"post": "yes"}).status_code == 302
    assert search(user=reader, text="marmot", filters=Filters()).ids == []


@pytest.mark.parametrize("terms, error", [
    ("kubernetes", "at least two"),
    ("k8s, K8S", "at least two"),
    (",,, !!", "at least two"),
    ("one, a very long phrase of words", "at most four words"),
    ("kubernetes, k8s", "These synonyms already exist"),
])
def test_bad_synonyms_are_refused_with_a_clear_message_and_the_input_kept(client, facilitator, terms, error):
    client.force_login(facilitator)
    before = Synonym.objects.count()
    response = client.post(ADD, {"terms": terms, "note": "kept note"})
    assert response.status_code == 200
    body = response.content.decode()
    assert error in body and "kept note" in body
    assert Synonym.objects.count() == before


def test_hostile_synonym_input_is_refused_not_a_crash(client, facilitator):
    client.force_login(facilitator)
    before = Synonym.objects.count()
    for terms in ("a\x00b, c", "a, c" + "x" * 400):
        response = client.post(ADD, {"terms": terms, "note": ""})
        assert response.status_code == 200 and "errornote" in response.content.decode()
    assert Synonym.objects.count() == before


@pytest.mark.parametrize("role", ["reader", "author", "outsider"])
@pytest.mark.parametrize("url", [LIST, ADD])
def test_only_facilitators_reach_the_synonyms(client, request, role, url):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(ADD, {"terms": "a, b"}).status_code == 302
    assert not Synonym.objects.filter(terms="a, b").exists()
