"""How the search answers what people type: partial matches, prefixes, keywords, synonyms, typos.

Runs on SQLite and on PostgreSQL (CI runs the module on both engines).
"""

import pytest

from knowledge.models import SearchDocument, Synonym
from knowledge.search import Filters, parse, prepare, search
from postmortems import services
from postmortems.models import FactorCategory, Status, Team

pytestmark = pytest.mark.django_db


def ids(user, text, **filters):
    return search(user=user, text=text, filters=Filters(**filters)).ids


# -- never zero when something matches ----------------------------------------------------------


def test_when_no_document_has_every_word_those_with_most_words_come_first(write_up, reader):
    four = write_up(title="Checkout stalled", summary="The payment provider timed out during the sale.")
    two = write_up(title="Checkout slow", summary="Nothing else.")
    one = write_up(title="Provider notice")
    write_up(title="Unrelated backlog")
    outcome = search(user=reader, text="checkout payment provider sale zanzibar", filters=Filters())
    assert outcome.partial and outcome.ids[0] == four.pk
    assert outcome.matched_words == 4 and outcome.query_words == 5
    assert set(outcome.ids) == {four.pk}
    outcome = search(user=reader, text="checkout provider slow", filters=Filters())
    assert outcome.partial and outcome.matched_words == 2 and outcome.query_words == 3
    assert set(outcome.ids) == {four.pk, two.pk} and one.pk not in outcome.ids


def test_documents_with_every_word_win_and_the_page_is_not_partial(write_up, reader):
    both = write_up(title="Redis eviction storm")
    write_up(title="Redis failover")
    outcome = search(user=reader, text="redis eviction", filters=Filters())
    assert outcome.ids == [both.pk] and not outcome.partial


def test_partial_matches_keep_exclusions_phrases_and_or(write_up, reader):
    keep = write_up(title="Connection pool exhausted in production")
    write_up(title="Connection pool exhausted in staging")
    write_up(title="Pool of connection handlers in production")
    outcome = search(user=reader, text='"connection pool" production quetzal -staging', filters=Filters())
    assert outcome.partial and outcome.ids == [keep.pk]
    kafka = write_up(title="Kafka lag")
    outcome = search(user=reader, text="kafka OR rabbitmq lag quetzal", filters=Filters())
    assert outcome.partial and outcome.ids == [kafka.pk]


def test_a_question_matches_like_its_key_words(write_up, reader):
    pm = write_up(title="Checkout failed during the summer sale")
    write_up(title="Search index rebuild")
    assert ids(reader, "why did checkout fail during the sale") == [pm.pk]
    assert ids(reader, "the") != []  # a stop word alone still searches


def test_nothing_shared_means_nothing_found(write_up, reader):
    write_up(title="Checkout failed")
    outcome = search(user=reader, text="saxophone recital", filters=Filters())
    assert outcome.total == 0 and outcome.corrected == "" and not outcome.partial


@pytest.mark.parametrize("text", ["(", "*", "OR", "-", "!!! ???", '""', "* OR ("])
def test_operators_or_punctuation_alone_are_an_empty_query(client, reader, write_up, text):
    for i in range(3):
        write_up(title=f"Incident {i}")
    client.force_login(reader)
    response = client.get("/search/", {"q": text})
    body = response.content.decode()
    assert response.status_code == 200 and response.context["total"] == 3
    assert response.context["q"] == "" and "match" not in body.split('role="status"')[1][:200]
    assert "<h1>The library</h1>" in body


# -- prefix on the last word --------------------------------------------------------------------


def test_the_last_word_matches_as_a_prefix(write_up, reader):
    pm = write_up(title="PostgreSQL replica lag")
    write_up(title="Posted twice")
    assert ids(reader, "postgre") == [pm.pk]
    assert ids(reader, "replica postgre") == [pm.pk]
    assert ids(reader, "rep") == [pm.pk]


def test_only_the_last_word_is_a_prefix(write_up, reader):
    pm = write_up(title="Replica lag")
    assert parse("repl lag").clauses[0][0].prefix is False
    assert parse("repl lag").clauses[1][0].prefix is True
    assert parse('"repl lag"').clauses[0][0].prefix is False
    assert parse("lag -repl").clauses[0][0].prefix is False  # a word followed by more is finished
    assert ids(reader, "lag repl") == [pm.pk]


def test_words_shorter_than_three_letters_are_not_prefixes(write_up, reader):
    assert parse("db").clauses[0][0].prefix is False
    assert parse("dbx").clauses[0][0].prefix is True


# -- tags, teams, factor categories --------------------------------------------------------------


def test_tags_teams_and_factor_categories_are_searchable(write_up, reader):
    team = Team.objects.create(name="Marmosets", slug="marmosets")
    category = FactorCategory.objects.create(name="Capybara handling", slug="capybara-handling")
    tagged = write_up(title="One", tags=["elasticsearch", "certificate-expiry"])
    teamed = write_up(title="Two", teams=[team])
    categorised = write_up(title="Three", category=category)
    assert ids(reader, "elasticsearch") == [tagged.pk]
    assert ids(reader, "expiry") == [tagged.pk]
    assert ids(reader, "marmosets") == [teamed.pk]
    assert ids(reader, "capybara") == [categorised.pk]


def test_tags_rank_like_titles_above_body_text(write_up, reader):
    body = write_up(title="Late reports", body="The elasticsearch cluster was slow.")
    tag = write_up(title="Late reports", tags=["elasticsearch"])
    assert ids(reader, "elasticsearch") == [tag.pk, body.pk]


def test_retagging_through_services_updates_the_keywords(write_up, reader, facilitator):
    pm = write_up(title="Quiet incident")
    pm.tags.add("narwhal")
    services.postmortem_record_change(postmortem=pm, user=facilitator)
    assert "narwhal" in SearchDocument.objects.get(pk=pm.pk).keywords
    assert ids(reader, "narwhal") == [pm.pk]


# -- synonyms -----------------------------------------------------------------------------------


def test_shipped_synonyms_find_the_other_spelling(write_up, reader):
    k8s = write_up(title="Kubernetes node not ready")
    pg = write_up(title="PostgreSQL failover", tags=["database"])
    oom = write_up(title="Workers ran out of memory")
    assert ids(reader, "k8s node") == [k8s.pk]
    assert ids(reader, "k8s") == [k8s.pk]
    assert ids(reader, "postgres") == [pg.pk]
    assert ids(reader, "pg") == [pg.pk]
    assert ids(reader, "db failover") == [pg.pk]
    assert ids(reader, "oom") == [oom.pk]
    assert Synonym.objects.count() >= 50


def test_a_phrase_typed_as_words_finds_its_abbreviation(write_up, reader):
    pm = write_up(title="OOM kills on the workers")
    assert ids(reader, "out of memory") == [pm.pk]
    assert ids(reader, "workers out of memory") == [pm.pk]


def test_synonyms_facilitators_add_apply_at_once_and_exclusions_follow_them(write_up, reader):
    pm = write_up(title="Quokka outage")
    other = write_up(title="Wallaby outage")
    assert ids(reader, "wombat") == []
    Synonym.objects.create(terms="wombat, quokka")
    assert ids(reader, "wombat") == [pm.pk]
    assert ids(reader, "outage -wombat") == [other.pk]


def test_synonyms_prepare_both_engines_alike():
    query = prepare("k8s oom -pg", [[("k8s",), ("kubernetes",)], [("oom",), ("out", "of", "memory")],
                                    [("pg",), ("postgresql",)]])
    assert query.to_tsquery() == ("(('k8s') | ('kubernetes')) & (('oom') | ('out' & 'of' & 'memory')) "
                                  "& !('pg') & !('postgresql')")
    assert query.to_fts5() == ('((("k8s" OR "kubernetes") AND ("oom" OR ("out" AND "of" AND "memory"))) NOT "pg") '
                               'NOT "postgresql"')


# -- typos --------------------------------------------------------------------------------------


def test_a_typo_is_corrected_within_the_words_of_the_query(write_up, reader):
    pm = write_up(title="Expired certificate on the gateway")
    outcome = search(user=reader, text="certficate gateway", filters=Filters())
    assert outcome.ids == [pm.pk] and outcome.corrected == "certificate gateway" and not outcome.partial


def test_far_spellings_are_not_corrections(write_up, reader):
    write_up(title="Builds were slow")
    write_up(title="Origin server failed")
    for text in ("bulbs", "origami"):
        outcome = search(user=reader, text=text, filters=Filters())
        assert outcome.total == 0 and outcome.corrected == "", text


def test_the_page_says_what_it_searched_and_offers_the_typed_words(client, reader, write_up):
    write_up(title="Expired certificate")
    client.force_login(reader)
    body = client.get("/search/", {"q": "certficate expired"}).content.decode()
    assert "Showing results for <strong>certificate expired</strong>" in body
    assert "search instead for" in body and "exact=1" in body


def test_the_page_says_when_it_shows_partial_matches(client, reader, write_up):
    write_up(title="Expired certificate")
    client.force_login(reader)
    body = client.get("/search/", {"q": "expired certificate zanzibar"}).content.decode()
    assert "No write-up matches all the words" in body
    body = client.get("/search/", {"q": "expired certificate"}).content.decode()
    assert "No write-up matches all the words" not in body


# -- nothing hidden leaks -----------------------------------------------------------------------


@pytest.mark.parametrize("status, restricted", [(Status.DRAFT, False), (Status.IN_REVIEW, False),
                                                (Status.PUBLISHED, True)])
def test_hidden_words_never_reach_a_reader(write_up, reader, other_author, status, restricted):
    write_up(title="Zebraquokkasecret breach of the gateway", tags=["hiddentagword"], status=status,
             restricted=restricted, authors=[other_author])
    visible = write_up(title="Gateway latency")
    Synonym.objects.create(terms="zqs, zebraquokkasecret")
    for text in ("zebraquokka", "zqs", "zebraquokkasecret", "zebraquokkasecrt", "hiddentag", "hiddentagwrd"):
        outcome = search(user=reader, text=text, filters=Filters())
        assert outcome.total == 0 and outcome.corrected == "", text
    outcome = search(user=reader, text="zebraquokkasecret gateway", filters=Filters())
    assert outcome.ids == [visible.pk] and outcome.corrected == ""


def test_the_author_finds_their_own_hidden_words(write_up, other_author):
    pm = write_up(title="Zebraquokkasecret breach", tags=["hiddentagword"], status=Status.DRAFT,
                  authors=[other_author])
    assert ids(other_author, "zebraquokka") == [pm.pk]
    assert ids(other_author, "hiddentagwrd") == [pm.pk]


# -- query counts -------------------------------------------------------------------------------


def queries(client, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/search/", params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("text", ["backlog zanzibar", "backlg", "k8s backlog", "backl"])
def test_partial_corrected_and_expanded_searches_do_not_grow_with_the_results(client, reader, write_up, text):
    client.force_login(reader)
    write_up(title="Queue backlog first", tags=["queue"])
    few = queries(client, {"q": text})
    for i in range(25):
        write_up(title=f"Queue backlog {i}", tags=["queue", f"t{i}"])
    assert queries(client, {"q": text}) == few


def test_a_dotted_setting_name_finds_itself(write_up, reader):
    pm = write_up(title="Duplicate emails", body="We raised max.poll.interval.ms on the consumer.")
    write_up(title="Poll interval max", body="Unrelated ms.")
    assert ids(reader, "max.poll.interval.ms") == [pm.pk]


def test_a_prefix_is_highlighted_in_its_completed_word(write_up, reader):
    pm = write_up(title="PostgreSQL replica lag", summary="The postgresql primary fell behind.")
    outcome = search(user=reader, text="replica postgre", filters=Filters())
    title, snippet = outcome.highlights[pm.pk]
    assert "<mark>PostgreSQL</mark>" in title and "<mark>replica</mark>" in title


def test_a_finished_word_is_exact_but_a_hidden_finished_word_still_acts_as_a_prefix(write_up, reader, other_author):
    write_up(title="Zebraquokkasecret breach", restricted=True, authors=[other_author])
    longer = write_up(title="Zebraquokkasecretive gateway")
    assert ids(reader, "zebraquokkasecret") == [longer.pk]  # as if the hidden word did not exist
    exact = write_up(title="Lock held")
    longer = write_up(title="Locksmith tools")
    assert ids(reader, "lock") == [exact.pk]
    assert set(ids(reader, "loc")) == {exact.pk, longer.pk}
