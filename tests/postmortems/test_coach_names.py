"""Person as cause: names of Hindsight users and names the document itself shows, never technology."""

import pytest

from postmortems.coach import checks, people
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def person_findings(text, names=(), kind="narrative"):
    return [f.text for f in checks.check_texts([("t", kind, text)], names=names) if f.category == "person_as_cause"]


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("Bob broke the deploy pipeline.", "Bob broke"),
        ("Carol's change caused the cache stampede.", "Carol's change caused"),
        ("Carol’s change caused the cache stampede.", "Carol’s change caused"),
        ("The outage was caused by Dave.", "caused by Dave"),
        ("Priya accidentally deleted the bucket.", "Priya accidentally deleted"),
        ("Elena's typo in the config took down the API.", "Elena's typo"),
        ("Elena's config change took down the API.", "Elena's config change took down"),
        ("The root cause was Tom.", "root cause was Tom"),
        ("Because of Hiroshi, the database was down.", "Because of Hiroshi"),
        ("It was Dave's fault.", "Dave's fault"),
        ("Fatima misconfigured the load balancer.", "Fatima misconfigured"),
        ("Luis pushed a broken config.", "Luis pushed a broken"),
    ],
)
def test_common_given_names_as_subjects_of_failure_are_flagged(text, phrase):
    assert phrase in person_findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "Postgres failed to promote the standby.",
        "Kubernetes broke the pod networking during the upgrade.",
        "Redis crashed under the write load.",
        "Jenkins missed the webhook.",
        "Cassandra ignored the consistency level.",
        "Travis broke the build.",
        "The outage was caused by Nginx.",
        "Because of Kafka, the lag kept growing.",
        "Hermes crashed at 02:00.",
        "We broke the deploy.",
        "Someone broke the deploy.",
        "Monday broke every record for traffic.",
    ],
)
def test_capitalised_technology_and_ordinary_words_are_not_people(text):
    assert person_findings(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to Alice and Bob for the quick response.",
        "Written by Carol, reviewed by Dave and Erin.",
        "Priya led the incident call and Marcus kept the timeline.",
        "Thanks to Hiroshi's quick fix, the service recovered.",
        "Dave fixed the certificate and Carol verified the rollout.",
        "Sarah failed over the primary to the standby.",
        "The regression was fixed by Dave in 4.3.",
        'Bob wrote in the channel: "I broke it, rolling back."',
    ],
)
def test_names_in_credits_and_neutral_actions_are_not_flagged(text):
    assert person_findings(text) == []


def test_hindsight_users_are_names_even_when_no_list_knows_them():
    text = "Zanele ignored the paging alert."
    assert person_findings(text) == []
    assert person_findings(text, names=["Zanele", "Mokoena", "zmokoena"]) == ["Zanele ignored"]


def test_usernames_count_as_handles_only():
    names = ["deploy", "Dana", "Deploy-Bot"]
    assert person_findings("@deploy broke staging.", names) == ["@deploy broke"]
    assert person_findings("The deploy broke staging.", names) == []
    assert person_findings("Deploy broke staging.", names) == []


def test_names_the_document_shows_to_be_people_are_names_in_every_text():
    texts = [
        ("section:1", "narrative", "Xiaoling said she would look at the replica."),
        ("section:2", "narrative", "Then Xiaoling missed the page."),
        ("timeline:4", "timeline", "We asked Quentin to fail over. Quentin broke replication."),
    ]
    found = [(f.location, f.text) for f in checks.check_texts(texts) if f.category == "person_as_cause"]
    assert found == [("section:2", "Xiaoling missed"), ("timeline:4", "Quentin broke")]
    assert people.names_in(["Łukasz, the on-call engineer, paged the team."]) == {"Łukasz"}
    assert people.names_in(["We asked Redis nicely. Support said no."]) == set()


def test_a_full_name_is_flagged_as_one_phrase_when_the_last_name_is_known():
    assert person_findings("Grace Hopper broke replication.", names=["Hopper"]) == ["Hopper broke"]


def test_user_names_in_looks_up_only_names_the_text_contains(django_assert_num_queries):
    make_user("bsmith", "Authors", first_name="Bruno", last_name="Smith")
    make_user("ghost", "Authors", first_name="Grace", last_name="Ghost")
    inactive = make_user("old", "Authors", first_name="Olaf")
    inactive.is_active = False
    inactive.save()
    with django_assert_num_queries(1):
        names = checks.user_names_in(["Bruno and @bsmith and Olaf met Grace's team. `@ghost` in code."])
    assert names == {"Bruno", "@bsmith", "Grace"}
    with django_assert_num_queries(0):
        assert checks.user_names_in(["no capitals here"]) == set()


def test_refresh_uses_the_names_of_hindsight_users(author, make_postmortem):
    from postmortems.models import Section

    make_user("zm", "Authors", first_name="Zanele", last_name="Mokoena")
    pm = make_postmortem(authors=[author])
    Section.objects.create(postmortem=pm, heading="What happened", body="Zanele ignored the paging alert.")
    checks.refresh_findings(pm)
    assert ("name-broke", "Zanele ignored") in set(pm.language_findings.values_list("rule_slug", "text"))
