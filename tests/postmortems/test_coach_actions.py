"""Action-item quality: vague items, and high-priority items without an owner or a due date."""

from datetime import date

import pytest

from postmortems.coach import checks, engine
from postmortems.models import ActionItem, ActionStatus, Priority

pytestmark = pytest.mark.django_db


def quality(text):
    return [(f.rule_slug, f.text) for f in checks.check_texts([("action:1", "action_item", text)])
            if f.category == "action_quality"]


@pytest.mark.parametrize(
    "text, rule, phrase",
    [
        ("Investigate the retry storm", "vague-investigate", "Investigate"),
        ("- Look into the alerting gaps", "vague-investigate", "Look into"),
        ("Consider a circuit breaker\nfor the payments client", "vague-investigate", "Consider"),
        ("Be more careful when running migrations", "vague-be-careful", "Be more careful"),
        ("Engineers should pay more attention to disk alerts", "vague-be-careful", "pay more attention"),
        ("Make sure the runbook is up to date", "vague-make-sure", "Make sure"),
        ("Try to deploy earlier in the day", "vague-make-sure", "Try to"),
        ("Improve monitoring", "vague-improve", "Improve"),
        ("Reduce deploy risk", "vague-improve", "Reduce"),
        ("Better communication during incidents", "vague-more-better", "Better communication"),
        ("Add more tests", "vague-more-better", "more tests"),
        ("Keep an eye on the queue depth", "vague-monitor", "Keep an eye on"),
        ("Add retries where possible", "vague-as-needed", "where possible"),
        ("- [ ] Investigate the alerting gaps", "vague-investigate", "Investigate"),
        ("1. [x] Improve monitoring", "vague-improve", "Improve"),
        ("Add a lag alert.\n2) Look into the retries", "vague-investigate", "Look into"),
    ],
)
def test_vague_action_items_are_flagged(text, rule, phrase):
    assert (rule, phrase) in quality(text)


@pytest.mark.parametrize(
    "text",
    [
        "Add an alert when replication lag exceeds 30 s for 5 minutes",
        "Improve p99 latency of the payments API to under 200 ms",
        "Increase the connection pool to 200 and load test at twice the peak",
        "Reduce deploy time from 20 to 5 minutes by caching the build",
        "Block pushes to main that skip review",
        "Write a one-page comparison of the two failover options by 30 June",
        "Make the deploy tool refuse migrations during peak hours",
        "Page the database team automatically when lag exceeds 60 s",
        "Add a confirmation prompt when a command targets production",
    ],
)
def test_specific_bounded_action_items_are_not_flagged(text):
    assert quality(text) == []


def test_vague_item_rules_apply_to_action_items_only():
    for kind in ("narrative", "lessons", "summary"):
        assert [f for f in checks.check_texts([("t", kind, "Investigate the retry storm")])
                if f.category == "action_quality"] == []


def facts(priority="high", owner=False, due=False, status_open=True, text="Add a lag alert above 30 s"):
    return engine.ActionFacts(location="action:7", text=text, priority=priority, has_owner=owner,
                             has_due_date=due, is_open=status_open)


@pytest.mark.parametrize(
    "item, rules",
    [
        (facts(), [engine.HIGH_PRIORITY_NO_OWNER, engine.HIGH_PRIORITY_NO_DUE_DATE]),
        (facts(owner=True), [engine.HIGH_PRIORITY_NO_DUE_DATE]),
        (facts(due=True), [engine.HIGH_PRIORITY_NO_OWNER]),
        (facts(owner=True, due=True), []),
        (facts(priority="medium"), []),
        (facts(priority="low"), []),
        (facts(status_open=False), []),
    ],
)
def test_high_priority_items_need_an_owner_and_a_due_date(item, rules):
    found = engine.check_action_items([item])
    assert [f.rule_slug for f in found] == rules
    for f in found:
        assert f.category == "action_quality" and f.location == "action:7"
        assert f.text == "Add a lag alert above 30 s" and item.text[f.start:f.end] == f.text
        assert f.message and f.suggestion


def test_postmortem_action_items_are_checked_on_refresh(author, make_postmortem):
    pm = make_postmortem(authors=[author])
    vague = ActionItem.objects.create(postmortem=pm, title="Investigate the retries", priority=Priority.LOW)
    unowned = ActionItem.objects.create(postmortem=pm, title="Add a lag alert", priority=Priority.HIGH,
                                        due_date=date(2030, 1, 1))
    done = ActionItem.objects.create(postmortem=pm, title="Rotate the keys", priority=Priority.HIGH,
                                     status=ActionStatus.DONE)
    owned = ActionItem.objects.create(postmortem=pm, title="Cap the pool at 200", priority=Priority.HIGH,
                                      owner=author, due_date=date(2030, 1, 1),
                                      description="Look into the pool metrics first")
    checks.refresh_findings(pm)
    found = set(pm.language_findings.values_list("location", "rule_slug", "text"))
    assert found == {
        (f"action:{vague.pk}", "vague-investigate", "Investigate"),
        (f"action:{unowned.pk}", engine.HIGH_PRIORITY_NO_OWNER, "Add a lag alert"),
        (f"action:{owned.pk}", "vague-investigate", "Look into"),
    }
    assert not any(loc == f"action:{done.pk}" for loc, _, _ in found)
