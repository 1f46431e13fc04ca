"""Stored findings: refreshed on every save, kept when they persist, and shown at review."""

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import services
from postmortems.coach import checks
from postmortems.coach import views as coach_views
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    FindingDismissal,
    LanguageFinding,
    Section,
    TimelineEvent,
)
from postmortems.services import postmortem_record_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm(author, make_postmortem):
    pm = make_postmortem(authors=[author], title="Checkout outage", version=0)
    pm.narrative = Section.objects.create(postmortem=pm, heading="What happened", position=1,
                                          body="The on-call engineer carelessly restarted the primary.")
    pm.lessons = Section.objects.create(postmortem=pm, heading="Lessons learned", position=2, kind="lessons",
                                        body="We should have had a canary.")
    return pm


def save(pm, author):
    postmortem_record_change(postmortem=pm, user=author)


def stored(pm):
    return sorted(pm.language_findings.values_list("location", "rule_slug", "text"))


def test_every_save_through_the_services_refreshes_the_findings(pm, author):
    assert stored(pm) == []
    save(pm, author)
    assert stored(pm) == [(f"section:{pm.narrative.pk}", "careless", "carelessly")]
    pm.narrative.body = "The on-call engineer restarted the primary; we should have rolled back."
    pm.narrative.save()
    pm.summary = "Obviously bad."
    pm.save()
    save(pm, author)
    assert stored(pm) == [
        (f"section:{pm.narrative.pk}", "should-have", "we should have"),
        ("summary", "obviously", "Obviously"),
    ]


def test_findings_that_persist_keep_when_they_first_appeared(pm, author):
    save(pm, author)
    first = pm.language_findings.get()
    long_ago = timezone.now() - timedelta(days=90)
    LanguageFinding.objects.filter(pk=first.pk).update(created_at=long_ago)
    pm.narrative.body = "Before that, at 02:10, " + pm.narrative.body + " Obviously."
    pm.narrative.save()
    save(pm, author)
    kept = pm.language_findings.get(rule_slug="careless")
    assert kept.pk == first.pk and kept.created_at == long_ago
    assert pm.narrative.body[kept.start:kept.end] == "carelessly"
    new = pm.language_findings.get(rule_slug="obviously")
    assert new.created_at > long_ago


def test_the_same_phrase_twice_is_two_findings_and_one_goes_when_fixed(pm, author):
    pm.narrative.body = "It was careless. Then again careless."
    pm.narrative.save()
    save(pm, author)
    assert pm.language_findings.count() == 2
    pm.narrative.body = "It was careless. Then again it happened."
    pm.narrative.save()
    save(pm, author)
    assert pm.language_findings.count() == 1


def test_refresh_covers_every_kind_of_text(author, make_postmortem):
    pm = make_postmortem(authors=[author], title="Human error in the deploy", summary="Simply a bad deploy.")
    event = TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(),
                                         description="On-call should have escalated here.")
    factor = ContributingFactor.objects.create(postmortem=pm, category=FactorCategory.objects.first(),
                                               description="Engineer failed to follow the change procedure.")
    item = ActionItem.objects.create(postmortem=pm, title="Be more careful with deploys")
    checks.refresh_findings(pm)
    assert {(loc, cat) for loc, cat in pm.language_findings.values_list("location", "category")} == {
        ("title", "blame"),
        ("summary", "minimising"),
        (f"timeline:{event.pk}", "counterfactual"),
        (f"factor:{factor.pk}", "counterfactual"),
        (f"action:{item.pk}", "action_quality"),
    }


def test_refresh_costs_a_constant_number_of_queries(author, make_postmortem, django_assert_num_queries):
    def build(n):
        pm = make_postmortem(authors=[author])
        for i in range(n):
            Section.objects.create(postmortem=pm, heading=f"S{i}", body="It was careless and obviously sloppy.")
            TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(), description="We should have.")
            ActionItem.objects.create(postmortem=pm, title=f"Investigate {i}", priority="high")
        return pm

    small, large = build(1), build(12)
    with CaptureQueriesContext(connection) as first:
        checks.refresh_findings(small)
    assert len(first) <= 9
    with django_assert_num_queries(len(first)):
        checks.refresh_findings(large)
    assert large.language_findings.count() == 12 * 7
    with CaptureQueriesContext(connection) as unchanged:
        checks.refresh_findings(large)
    writes = [q["sql"] for q in unchanged.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == [] and len(unchanged) < len(first)


def test_dismissed_findings_stay_stored_and_review_shows_them_with_the_reason(pm, author, facilitator, reader):
    save(pm, author)
    services.finding_dismiss(postmortem=pm, user=author, rule_slug="careless",
                          location=f"section:{pm.narrative.pk}", text="carelessly",
                          reason="It quotes the old runbook.")
    pm.summary = "Obviously the restart was the problem."
    pm.save()
    save(pm, author)
    assert pm.language_findings.count() == 2
    review = coach_views.findings_for_review(pm, user=facilitator)
    assert (review["open_count"], review["dismissed_count"], review["can_dismiss"]) == (1, 1, True)
    assert [g.label for g in review["groups"]] == ["Summary", "What happened"]
    summary, narrative = review["groups"]
    assert [i.match for i in summary.open] == ["Obviously"]
    [kept] = narrative.dismissed
    assert kept.dismissal.reason == "It quotes the old runbook." and kept.dismissal.user == author
    assert (kept.before, kept.match, kept.after) == ("The on-call engineer ", "carelessly", " restarted the primary.")
    assert coach_views.findings_for_review(pm, user=reader)["can_dismiss"] is False


def test_review_labels_every_kind_of_text_in_reading_order(author, make_postmortem):
    pm = make_postmortem(authors=[author], title="Careless deploy")
    section = Section.objects.create(postmortem=pm, heading="What happened", body="It was simply a restart.")
    category = FactorCategory.objects.get(slug="change") if FactorCategory.objects.filter(slug="change").exists() \
        else FactorCategory.objects.first()
    ContributingFactor.objects.create(postmortem=pm, category=category, description="Operator error.")
    ActionItem.objects.create(postmortem=pm, title="Investigate it")
    checks.refresh_findings(pm)
    labels = [g.label for g in coach_views.findings_for_review(pm)["groups"]]
    assert labels == ["Title", "What happened", f"Contributing factor ({category.name})",
                      "Action item “Investigate it”"]
    assert section.heading in labels


def test_review_costs_a_constant_number_of_queries(author, make_postmortem, django_assert_num_queries):
    def build(n):
        pm = make_postmortem(authors=[author])
        for i in range(n):
            Section.objects.create(postmortem=pm, heading=f"S{i}", body="It was careless.")
            ActionItem.objects.create(postmortem=pm, title=f"Investigate {i}")
            FindingDismissal.objects.create(postmortem=pm, rule_slug="x", location=f"section:{i}", text="t",
                                            reason="r", user=author)
        checks.refresh_findings(pm)
        return pm

    small, large = build(1), build(15)
    fresh = type(author).objects.get  # a fresh user object each time: permissions are cached on it
    with CaptureQueriesContext(connection) as first:
        coach_views.findings_for_review(small, user=fresh(pk=author.pk))
    assert len(first) <= 10
    with django_assert_num_queries(len(first)):
        assert coach_views.findings_for_review(large, user=fresh(pk=author.pk))["open_count"] == 30
    empty = make_postmortem()
    with django_assert_num_queries(2):
        assert coach_views.findings_for_review(empty)["groups"] == []


def render_partial(pm, user):
    request = RequestFactory().get(f"/postmortems/{pm.slug}/")
    request.user = user
    return render_to_string("postmortems/includes/_coach_findings.html",
                            {"coach": coach_views.findings_for_review(pm, user=user)}, request=request)


def test_the_review_partial_highlights_open_findings_and_offers_dismissal_to_editors(pm, author, reader):
    pm.narrative.body = "<script>alert(1)</script> The engineer carelessly restarted it."
    pm.narrative.save()
    save(pm, author)
    html = render_partial(pm, author)
    assert "<mark>carelessly</mark>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert f'action="/postmortems/{pm.slug}/findings/dismiss/"' in html
    assert 'name="reason"' in html and 'value="careless"' in html
    assert "1 open finding" in html
    assert 'action="' not in render_partial(pm, reader)


def test_the_review_partial_shows_dismissed_findings_with_reasons(pm, author):
    save(pm, author)
    services.finding_dismiss(postmortem=pm, user=author, rule_slug="careless",
                          location=f"section:{pm.narrative.pk}", text="carelessly",
                          reason="Quoting <b>the</b> runbook.")
    html = render_partial(pm, author)
    assert "Kept because:" in html and "Quoting &lt;b&gt;the&lt;/b&gt; runbook." in html
    assert "0 open findings" in html and "1 dismissed with a reason" in html


def test_the_review_partial_says_so_when_there_is_nothing_to_fix(author, make_postmortem):
    pm = make_postmortem(authors=[author])
    assert "No findings" in render_partial(pm, author)


def test_finding_dismiss_requires_a_reason(pm, author):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.finding_dismiss(postmortem=pm, user=author, rule_slug="careless", location="summary", text="x",
                              reason="   ")
    assert not FindingDismissal.objects.exists()
