"""Blame carried by sentence structure: people as agents of failure, fault laid on people, hindsight."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from postmortems import services
from postmortems.coach import checks, engine, structure
from postmortems.models import LanguageRule, Section, TimelineEvent
from postmortems.services import postmortem_record_change
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
HOLDOUT = ROOT / "tests" / "data" / "blame_holdout.jsonl"
LANGUAGE = {"blame", "counterfactual", "minimising", "person_as_cause"}


def structural(text, kind="narrative", names=()):
    """Return {slug: suggestion} for the sentence-structure findings in `text`."""
    return {f.rule_slug: f.suggestion for f in checks.check_writing([("t", kind, text)], names=names)
            if f.rule_slug in structure.SLUGS}


def flagged(text, kind="narrative"):
    return [f for f in checks.check_writing([("t", kind, text)]) if f.category in LANGUAGE]


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Sam Lee deleted the production table by mistake.", "person-did-harm"),
        ("Dana truncated the audit table.", "person-did-harm"),
        ("At 14:05, Marek deleted the production bucket instead of the staging one.", "person-did-harm"),
        ("The new hire misconfigured the firewall rule for the VPN.", "person-did-harm"),
        ("Tom pushed the change straight to production without testing it.", "person-did-harm"),
        ("The load balancer was misconfigured by Tom during the migration.", "done-by-person"),
        ("The config was pushed by Lee without a canary.", "done-by-person"),
        ("Zed forgot to renew the certificate.", "person-did-not-act"),
        ("The reviewer didn't check the migration for locking statements.", "person-did-not-act"),
        ("The night shift skipped the check.", "person-skipped"),
        ("It was the operator's fault that the backup was never restored.", "fault-of-person"),
        ("The payments team was complacent about capacity.", "character-of-person"),
        ("There was clear complacency among the platform engineers.", "character-of-group"),
        ("The night shift should have checked the replica lag.", "hindsight-could-have"),
        ("Had the operator waited for the drain, nothing would have broken.", "hindsight-had-they"),
        ("Any competent engineer would have spotted the missing index.", "hindsight-anyone-could"),
        ("The engineer had every chance to roll back.", "hindsight-every-chance"),
        ("Despite being warned about the expiry, the team let the certificate lapse.", "hindsight-despite-warning"),
    ],
)
def test_people_as_the_cause_are_flagged_by_sentence_structure(text, slug):
    assert flagged(text)
    # Where a rule row flags the same phrase, the row's finding is shown; the structure rule still reads it.
    assert slug in {f.rule_slug for f in engine.check_texts([("t", "narrative", text)], rules=structure.RULES)}


@pytest.mark.parametrize(
    "text",
    [
        # systems as subjects
        "The cron job truncated the audit table at 02:00.",
        "The Kubernetes operator deleted the pods when the custom resource changed.",
        "Terraform destroyed the bucket because the resource name changed.",
        # neutral actions by roles and names
        "The incident commander paged the database team at 14:32.",
        "Lee pushed the config at 14:02.",
        "The alert was acknowledged by the on-call engineer within two minutes.",
        # planned and remedial actions
        "The DBA dropped the unused index as planned.",
        "Ana deleted the stale lock file to unblock writes.",
        # credit
        "Thanks to Ana, who noticed the queue growing, we failed over before customers saw errors.",
        # missing safeguards and explained decisions
        "The deploy went out without a canary because the pipeline has no canary stage.",
        "The migration ran without the step that checks for long-running locks.",
        "The on-call engineer did not page the database team because the dashboards showed no errors.",
        "The table was truncated by the cleanup job, which had the wrong retention setting.",
        # possessives that are not faults, traits that are technical
        "The team's error budget was exhausted by the second week.",
        "The service was lazy-loading its configuration, so the change took effect late.",
        # hindsight about safeguards, not people
        "In hindsight, the alert threshold was too high.",
        "Anyone can deploy to production from the main branch, which is the gap we are closing.",
        # unknown capitalised words are not people unless the form says so
        "Kwabena broke it.",
        "Someone broke the deploy.",
    ],
)
def test_hard_negatives_are_left_alone(text):
    assert structural(text) == {}


def test_rewrites_keep_the_facts_without_the_person():
    rewrites = {
        "Dana truncated the audit table.": "“The audit table was truncated.”",
        "Sam Lee deleted the production table by mistake.": "“The production table was deleted.”",
        "The load balancer was misconfigured by Tom during the migration.":
            "“The load balancer was misconfigured during the migration.”",
        "The config was pushed by Lee without a canary.": "“The config was pushed without a canary.”",
        "Zed forgot to renew the certificate.": "“The certificate was not renewed.”",
        "The night shift skipped the check.": "“The check was skipped.”",
        "At 14:05, Marek deleted the production bucket instead of the staging one.":
            "“At 14:05, the production bucket was deleted instead of the staging one.”",
        "The release team was lazy about testing.": "“Testing got less attention than it needed.”",
    }
    for text, expected in rewrites.items():
        [suggestion] = [f.suggestion for f in engine.check_texts([("t", "narrative", text)], rules=structure.RULES)]
        assert expected in suggestion, (text, suggestion)
        assert "Then say" in suggestion  # a prompt for what made it possible, not only a warning


def test_a_name_the_document_shows_as_a_person_counts_everywhere_in_it():
    text = "Wojtek said the schedule looked right. Wojtek overwrote the on-call schedule."
    assert "person-did-harm" in structural(text)
    assert structural("Wojtek overwrote the on-call schedule.") == {}


def test_each_phrase_is_flagged_once_the_rule_rows_first():
    found = flagged("The on-call engineer carelessly restarted the primary.")
    assert [f.rule_slug for f in found] == ["careless"]


def test_timeline_events_are_checked_with_people_by_role(author, make_postmortem):
    pm = make_postmortem(authors=[author], title="Replication outage", version=0)
    Section.objects.create(postmortem=pm, heading="What happened", position=1, body="The replica fell behind.")
    ravi = TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(),
                                        description="Ravi deleted the old partitions on the live cluster by mistake.")
    oncall = TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(),
                                          description="On-call engineer silenced the alert and went back to sleep.")
    neutral = TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(),
                                           description="Incident commander paged the database team.")
    postmortem_record_change(postmortem=pm, user=author)
    stored = set(pm.language_findings.values_list("location", "rule_slug"))
    assert (f"timeline:{ravi.pk}", "person-did-harm") in stored
    assert (f"timeline:{oncall.pk}", "person-skipped") in stored
    assert not any(location == f"timeline:{neutral.pk}" for location, _ in stored)
    finding = pm.language_findings.get(location=f"timeline:{ravi.pk}")
    assert "“The old partitions were deleted" in finding.suggestion or "was deleted" in finding.suggestion


def test_a_structural_finding_can_be_kept_with_a_reason(author, make_postmortem):
    pm = make_postmortem(authors=[author], title="Bucket outage", version=0)
    Section.objects.create(postmortem=pm, heading="What happened", position=1, body="Dana truncated the audit table.")
    postmortem_record_change(postmortem=pm, user=author)
    finding = pm.language_findings.get(rule_slug="person-did-harm")
    assert "person-did-harm" in checks.known_rule_slugs()
    services.finding_dismiss(postmortem=pm, user=author, rule_slug=finding.rule_slug, location=finding.location,
                             text=finding.text, reason="Dana asked to be named; the runbook step is described below.")
    assert checks.open_finding_count(pm) == 0


def test_the_live_check_offers_the_rewrite(author):
    client = Client()
    assert client.login(username=author.username, password=PASSWORD)
    body = {"texts": [{"location": "section:1", "kind": "narrative", "text": "Dana truncated the audit table."}]}
    response = client.post("/coach/check/", json.dumps(body), content_type="application/json",
                           HTTP_ACCEPT="application/json")
    [finding] = response.json()["findings"]
    assert finding["rule"] == "person-did-harm" and finding["text"] == "Dana truncated"
    assert "“The audit table was truncated.”" in finding["suggestion"]


def test_one_free_text_is_checked_on_its_own():
    [finding] = checks.check_text("Sam Lee deleted the production table by mistake.")
    assert (finding.location, finding.rule_slug, finding.text) == ("text", "person-did-harm", "Sam Lee deleted")
    assert checks.check_text("") == [] and checks.check_text("   \n") == []
    assert checks.check_text("The cron job truncated the table.") == []
    # The pure engine answers the same given the rules.
    rules = checks.active_rules()
    assert [f.rule_slug for f in engine.check_text("Dana truncated the audit table.", rules=rules)] == [
        "person-did-harm"]


def test_no_rule_row_enabled_switches_the_whole_coach_off():
    LanguageRule.objects.update(enabled=False)
    assert checks.active_rules() == []
    assert checks.check_text("Dana truncated the audit table.") == []


def test_hostile_input_stays_fast_and_correct():
    text = ("the " * 5000) + "engineer " * 2000 + "Dana " * 2000 + "\x00 deleted"
    checks.check_writing([("t", "narrative", text)])  # no exception, no catastrophic backtracking
    assert structural("Dana\x00 truncated the audit table.") == {}


def test_the_holdout_meets_the_targets():
    """The holdout was written after the rules and measured once, before any tuning on it."""
    rows = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 100 and sum(r["blaming"] for r in rows) >= 50 and sum(not r["blaming"] for r in rows) >= 50
    tp = fp = fn = 0
    for row in rows:
        found = bool(flagged(row["text"], row["kind"]))
        tp += found and row["blaming"]
        fp += found and not row["blaming"]
        fn += not found and row["blaming"]
    assert tp / (tp + fp) >= 0.95 and tp / (tp + fn) >= 0.9


def test_the_engine_imports_without_django():
    code = ("import sys; import postmortems.coach.engine, postmortems.coach.structure, postmortems.coach.words; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
