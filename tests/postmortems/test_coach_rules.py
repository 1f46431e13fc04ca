"""The shipped language rules, category by category: what they flag, and the hard negatives they leave alone."""

import json
from pathlib import Path

import pytest

from postmortems.coach import checks, engine, patterns, people
from postmortems.models import LanguageRule

pytestmark = pytest.mark.django_db


def flagged(text, kind="narrative", names=()):
    """Return the (category, flagged text) pairs the coach finds in `text`."""
    return [(f.category, f.text) for f in checks.check_texts([("t", kind, text)], names=names)]


def categories(text, kind="narrative", names=()):
    return {category for category, _ in flagged(text, kind, names)}


def test_at_least_forty_rules_ship_across_every_category():
    rules = LanguageRule.objects.filter(enabled=True)
    assert rules.count() >= 40
    assert set(rules.values_list("category", flat=True)) == set(LanguageRule.Category.values)


def test_every_shipped_rule_compiles_and_has_a_message_and_suggestion():
    for rule in LanguageRule.objects.all():
        assert patterns.pattern_error(rule.pattern, rule.is_regex) is None, rule.slug
        assert rule.message.strip() and rule.suggestion.strip(), rule.slug
    assert len(checks.load_rules()) == LanguageRule.objects.filter(enabled=True).count()


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("The outage was caused by human error.", "human error"),
        ("Operator error during the maintenance took down the cluster.", "Operator error"),
        ("The on-call engineer carelessly restarted the primary.", "carelessly"),
        ("Running the script without a dry run was negligent.", "negligent"),
        ("The rollout plan was sloppy.", "sloppy"),
        ("The reviewer was lazy and approved it unread.", "lazy"),
        ("An incompetent change dropped half of the traffic.", "incompetent"),
        ("It was the release manager's fault.", "manager's fault"),
        ("The operator was at fault.", "at fault"),
        ("The platform team blamed the database team.", "blamed"),
        ("The engineer made a mistake when copying the host name.", "made a mistake"),
        ("One bad apple bypassed the review.", "bad apple"),
        ("Pushing straight to main was irresponsible.", "irresponsible"),
        ("The responder dropped the ball on the escalation.", "dropped the ball"),
        ("Someone fat-fingered the CIDR range.", "fat-fingered"),
        ("The on-call engineer ignored the alert.", "The on-call engineer ignored the alert"),
        ("It was a lapse in judgement.", "lapse in judgement"),
        ("Whoever approved that change should be held accountable.", "held accountable"),
    ],
)
def test_blame_and_judgement_are_flagged(text, phrase):
    assert ("blame", phrase) in flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "We used git blame to find the commit that changed the timeout.",
        "This review is blameless: we look at conditions, not people.",
        "No one is to blame for the outage; the retry storm came from a default.",
        "We are not here to assign blame.",
        "The kernel reported a page fault in the storage driver.",
        "We added fault injection to staging; the cluster is fault tolerant.",
        "The failover used lazy loading for the session cache.",
        "Cassandra's sloppy quorum accepted the writes.",
        "The error budget for the quarter was used up.",
        "The API returned a user error for malformed requests.",
        "The dumb pipe between regions dropped packets.",
        "It was nobody's fault and no one's fault.",
        "He should not be blamed for following the runbook; nobody was blamed.",
    ],
)
def test_blame_words_in_technical_senses_are_not_flagged(text):
    assert "blame" not in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "The on-call engineer should have checked the replication lag.",
        "We should have rolled back sooner.",
        "They should have known that the flag was shared.",
        "The reviewer could have caught this.",
        "Had the deployer looked at the dashboard, the outage would have been shorter.",
        "If only someone had read the release notes.",
        "The engineer failed to follow the runbook.",
        "The team failed to notice the disk filling up.",
        "He didn't bother to run the tests.",
        "The developer neglected to update the schema.",
        "The on-call forgot to silence the alerts.",
        "This could easily have been avoided.",
        "Why didn't the on-call engineer escalate sooner?",
        "I should've double-checked the region.",
        "The intern should never have been given production access.",
        "If the reviewer had actually read the diff, we would not be here.",
        "The developer never bothered to look at the logs.",
        "Simply put, the engineer did not follow the process.",
    ],
)
def test_counterfactuals_in_the_story_are_flagged(text):
    assert "counterfactual" in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "The health check failed to fire when the primary stopped accepting writes.",
        "The cache should have expired after 60 s, but the TTL was set in milliseconds.",
        "The replicas were restarted, but they failed to rejoin the cluster.",
        "The deploy script should have checked the exit code.",
        "The alert would have fired if the threshold had been 80%.",
        "The client failed to follow redirects after the certificate change.",
        "Kafka consumers failed to acknowledge messages.",
        "The replica must have fallen behind during the backup.",
        "It would have taken hours to rebuild the index.",
        "The backup job was supposed to run at 02:00.",
        "Users failed to log in for 25 minutes.",
        "No one should have to remember this step.",
        "With what we knew then, I would have made the same call.",
    ],
)
def test_technical_subjects_of_counterfactuals_are_not_flagged(text):
    assert "counterfactual" not in categories(text)


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("Obviously the configuration change was the problem.", "Obviously"),
        ("The fix was simply to restart the pod.", "simply"),
        ("The on-call just needed to flip the flag.", "just"),
        ("The logs clearly showed that the disk was full.", "clearly"),
        ("Of course, the backup had never been tested.", "Of course"),
        ("It was a trivial fix.", "trivial"),
        ("The bad value was easy to spot in the diff.", "easy to spot"),
        ("Any competent engineer would have checked the TTL.", "Any competent engineer"),
        ("It was clear from the graphs that memory was leaking.", "It was clear from"),
        ("All they had to do was read the alert.", "All they had to do was"),
    ],
)
def test_minimising_words_are_flagged(text, phrase):
    assert ("minimising", phrase) in flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "The disk filled up just before midnight and errors rose to just over 5%.",
        "We rolled back just in time; we had just deployed 4.2.",
        "Just-in-time compilation was disabled.",
        "It was not obvious from the dashboard; the non-obvious part was the shared pool.",
        "The fix was non-trivial.",
        "The first graph clearly labelled both regions.",
        "The interface makes it easy to see which region is active.",
    ],
)
def test_minimising_words_in_plain_senses_are_not_flagged(text):
    assert "minimising" not in categories(text)


def test_counterfactuals_are_allowed_in_lessons_and_action_items_but_flagged_in_the_story():
    sentence = "We should have had a canary stage for configuration changes."
    for kind in ("narrative", "summary", "impact", "timeline", "factor", "supporting"):
        assert "counterfactual" in categories(sentence, kind), kind
    for kind in ("lessons", "action_item"):
        assert "counterfactual" not in categories(sentence, kind), kind


def test_minimising_words_are_left_alone_in_action_items():
    assert "minimising" not in categories("Just add a check to the deploy script.", "action_item")
    assert "minimising" in categories("Just add a check to the deploy script.", "lessons")


def test_blame_is_flagged_in_every_kind_of_text():
    for kind in engine.KINDS:
        assert "blame" in categories("It was human error.", kind), kind


@pytest.mark.parametrize(
    "text",
    [
        'The on-call engineer wrote: "I think I broke the deploy, rolling back now."',
        "A customer tweeted “whoever did this is incompetent”.",
        "> 02:14 <dave> I should have checked the replica first",
        "We ran `git blame` and `careless_shutdown` appeared in ```the log```.",
        "Dashboard: https://grafana.example.com/d/blame-board/errors",
        "```\nhuman error\n```",
    ],
)
def test_quoted_speech_code_and_links_are_not_checked(text):
    assert flagged(text) == []


def test_a_finding_has_the_exact_span_rule_message_and_suggestion():
    text = "At 02:10 the on-call engineer carelessly restarted the primary."
    [finding] = checks.check_texts([("section:1", "narrative", text)])
    assert text[finding.start:finding.end] == finding.text == "carelessly"
    assert finding.location == "section:1"
    assert finding.rule_slug == "careless" and finding.category == "blame"
    assert "careless" in finding.message.lower()
    assert "The on-call engineer restarted the primary" in finding.suggestion


def test_findings_keep_their_text_order_and_offsets_across_paragraphs():
    texts = [
        ("summary", "summary", "Plain summary.\n\nObviously it broke."),
        ("section:2", "narrative", "First.\n\n\nSecond paragraph: we should have rolled back."),
    ]
    found = checks.check_texts(texts)
    assert [(f.location, f.text) for f in found] == [("summary", "Obviously"), ("section:2", "we should have")]
    for f in found:
        source = dict((loc, text) for loc, _, text in texts)[f.location]
        assert source[f.start:f.end] == f.text


def test_unknown_kinds_are_checked_as_narrative():
    assert "counterfactual" in categories("We should have rolled back.", "something-else")


def test_emphasis_does_not_hide_a_phrase():
    assert "blame" in categories("It was **human error**.")
    assert "person_as_cause" in categories("**Bob** broke the deploy.")


def test_rules_edited_in_the_database_take_effect_on_the_next_check():
    assert flagged("The cutover was a kerfuffle.") == []
    rule = LanguageRule.objects.create(
        slug="kerfuffle", pattern="kerfuffle", category="minimising", message="m", suggestion="s"
    )
    assert flagged("The cutover was a kerfuffle.") == [("minimising", "kerfuffle")]
    rule.enabled = False
    rule.save()
    assert flagged("The cutover was a kerfuffle.") == []
    LanguageRule.objects.filter(slug="careless").update(section_kinds=["action_item"])
    assert flagged("He carelessly restarted it.") == []
    assert flagged("Carelessly restart it.", "action_item") == [("blame", "Carelessly")]


def test_a_broken_rule_is_skipped_and_the_others_still_work(caplog):
    LanguageRule.objects.create(slug="broken", pattern="(unclosed", is_regex=True, category="blame", message="m")
    assert ("blame", "careless") in flagged("That was careless.")
    assert "broken" in caplog.text


def test_phrase_rules_match_whole_words_in_any_case_and_spacing():
    rule = LanguageRule(pattern="root cause was", is_regex=False)
    assert checks.rule_matches(rule, "The ROOT  cause was\nnot one thing.") == [(4, 19)]
    assert checks.rule_matches(rule, "The uproot cause wasn't") == []


def test_rule_matches_for_the_admins_try_it_box():
    rule = LanguageRule.objects.get(slug="name-broke")
    text = "Dave said the graph was odd. Dave broke the deploy. Redis broke too."
    assert [text[a:b] for a, b in checks.rule_matches(rule, text)] == ["Dave broke"]
    with pytest.raises(ValueError):
        checks.rule_matches(LanguageRule(pattern="(oops", is_regex=True), "text")


def test_pattern_error_explains_bad_patterns():
    assert "regular expression" in patterns.pattern_error("(oops", True)
    assert "empty" in patterns.pattern_error("x*", True)
    assert patterns.pattern_error("careless", False) is None
    assert patterns.pattern_error("{person} should have", True) is None


def test_the_literal_prefilter_never_changes_what_a_rule_finds():
    """Each rule runs only on sentences holding one of its literals; a full scan must find nothing more."""
    rules = {rule.slug: rule for rule in checks.load_rules()}
    dataset = Path(__file__).resolve().parent.parent / "data" / "blame_sentences.jsonl"
    for line in dataset.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text, kind, given = row["text"], row["kind"], row.get("names", ())
        masked = engine.mask(text)
        alternation = people._names_alternation(people._names_present(masked, people._usable_names(given)))
        everything = []
        for rule in rules.values():
            if rule.applies_to(kind) and (alternation or not rule.only_with_names):
                for match in rule.matcher(alternation).regex.finditer(masked):
                    start, end = engine._span(match)
                    if end > start:
                        everything.append((rule.category, start, end))
        found = checks.check_texts([("t", kind, text)], names=given)
        assert {(f.category, f.start, f.end) for f in found} <= set(everything), text
        for category, start, end in everything:
            assert any(f.category == category and f.start < end and start < f.end for f in found), text


def test_required_literals():
    assert patterns.required_literals(r"\bcareless(?:ly|ness)?\b") == {"careless"}
    assert patterns.required_literals(r"\b(?:should|could)\s+have\b") == {"should", "could"}
    assert patterns.required_literals(r"\w+ly\b") == {"ly"}
    assert patterns.required_literals(r"\w+\s+\d") is None
    assert patterns.required_literals(r"carefully|\w+") is None
