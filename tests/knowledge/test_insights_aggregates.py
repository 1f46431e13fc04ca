"""Each insights aggregate against a small hand-built archive with known answers."""

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge.insights import periods, queries
from knowledge.insights.periods import Scope
from knowledge.insights.queries import Facets
from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    LanguageFinding,
    PostMortem,
    Severity,
    Status,
    Team,
)

TODAY = date(2024, 3, 15)


# Views of postmortem_figures by one kind of figure, as the tests read them.
COUNT_KEYS = (*Severity.values, *Status.values, "total")


def postmortems_per_month(pms, tz):
    """Return {month: {'sev1': n, ..., 'draft': n, 'in_review': n, 'published': n, 'total': n}}."""
    by_month, _ = queries.postmortem_figures(pms, tz)
    return {month: {key: figures[key] for key in COUNT_KEYS} for month, figures in by_month.items()}


def durations_per_month(pms, tz):
    """Return ({month: {measure: Spread}}, {measure: Spread}) in seconds, for detect/mitigate/resolve."""
    by_month, overall = queries.postmortem_figures(pms, tz)
    spread_months = {}
    for month, figures in by_month.items():
        measures = {name: figures[name] for name in queries.MEASURES if name in figures}
        if measures:
            spread_months[month] = measures
    return spread_months, overall


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def build_archive(make_postmortem, author):
    """Six post-mortems from January to March 2024, with times, factors, tags, teams, actions, findings.

    C starts at 2024-01-31 23:30 UTC: February in Auckland. F starts at 2024-03-01 03:00 UTC:
    February in Los Angeles. D has no incident times (it counts by when it was written).
    """
    payments = Team.objects.create(name="Payments", slug="payments")
    platform = Team.objects.create(name="Platform", slug="platform")
    change = FactorCategory.objects.get(slug="change")
    capacity = FactorCategory.objects.get(slug="capacity")
    minutes = timedelta(minutes=1)

    def pm(key, **fields):
        return make_postmortem(title=key, **fields)

    a = pm("A", severity="sev1", status=Status.PUBLISHED, started_at=utc(2024, 1, 10, 10),
           detected_at=utc(2024, 1, 10, 10) + 10 * minutes, mitigated_at=utc(2024, 1, 10, 10) + 30 * minutes,
           resolved_at=utc(2024, 1, 10, 12))
    b = pm("B", severity="sev2", status=Status.PUBLISHED, started_at=utc(2024, 1, 20, 12),
           detected_at=utc(2024, 1, 20, 12) + 20 * minutes, resolved_at=utc(2024, 1, 20, 16))
    c = pm("C", severity="sev2", status=Status.IN_REVIEW, started_at=utc(2024, 1, 31, 23, 30),
           detected_at=utc(2024, 2, 1, 0, 0), resolved_at=utc(2024, 2, 1, 0, 30))
    d = pm("D", severity="sev3", status=Status.DRAFT, authors=[author])
    PostMortem.objects.filter(pk=d.pk).update(created_at=utc(2024, 2, 15, 12))
    e = pm("E", severity="sev4", status=Status.PUBLISHED, restricted=True, authors=[author],
           started_at=utc(2024, 3, 5, 8), detected_at=utc(2024, 3, 5, 8, 40), resolved_at=utc(2024, 3, 5, 14))
    f = pm("F", severity="sev4", status=Status.PUBLISHED, started_at=utc(2024, 3, 1, 3),
           detected_at=utc(2024, 3, 1, 2), resolved_at=utc(2024, 3, 1, 6))  # detected "before" start: ignored

    a.teams.add(payments)
    b.teams.add(payments, platform)
    f.teams.add(platform)
    a.tags.add("db")
    b.tags.add("db", "network")
    c.tags.add("network")
    e.tags.add("db", "secret-thing")

    for target, category in ((a, change), (b, change), (b, capacity), (c, change), (a, change)):
        ContributingFactor.objects.create(postmortem=target, category=category, description="…")

    def item(target, created, **fields):
        return ActionItem.objects.create(postmortem=target, title="Do it", created_at=created, **fields)

    item(a, utc(2024, 1, 11), status=ActionStatus.DONE, completed_at=utc(2024, 1, 21))
    item(a, utc(2024, 1, 11), status=ActionStatus.WONT_DO, wont_do_reason="Superseded", completed_at=utc(2024, 2, 2))
    item(b, utc(2024, 1, 21), status=ActionStatus.DONE, completed_at=utc(2024, 2, 25))
    item(b, utc(2024, 2, 1), status=ActionStatus.OPEN, due_date=date(2024, 3, 1))
    item(e, utc(2024, 3, 6), status=ActionStatus.OPEN, due_date=date(2024, 4, 1))
    item(f, utc(2024, 3, 2), status=ActionStatus.IN_PROGRESS)

    for target, category, when in ((a, "blame", utc(2024, 1, 12)), (a, "counterfactual", utc(2024, 1, 12)),
                                   (e, "blame", utc(2024, 3, 6))):
        LanguageFinding.objects.create(postmortem=target, rule_slug="r", category=category, location="section:1",
                                       text="t", created_at=when)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "payments": payments, "platform": platform}


@pytest.fixture
def archive(make_postmortem, author):
    return build_archive(make_postmortem, author)


def scope_for(user, tz="UTC", *, start=date(2023, 12, 1), end=date(2024, 3, 31), **filters):
    with timezone.override(tz):
        return Scope(user=user, tz=timezone.get_current_timezone(), today=TODAY, start=start, end=end, **filters)


def per_month(scope):
    pms = periods.in_period(periods.scoped_postmortems(scope), scope)
    return postmortems_per_month(pms, scope.tz)


def titles(qs):
    return sorted(qs.values_list("title", flat=True))


# --- Periods ------------------------------------------------------------------------------------


def test_named_periods_end_today_and_twelve_months_are_whole_calendar_months():
    assert periods.period_bounds("90d", today=TODAY) == (date(2023, 12, 17), TODAY)
    assert periods.period_bounds("12m", today=TODAY) == (date(2023, 4, 1), TODAY)
    assert periods.period_bounds("all", today=TODAY) == (None, TODAY)
    assert periods.period_bounds("custom", today=TODAY, start=date(2024, 1, 1)) == (date(2024, 1, 1), TODAY)
    assert periods.period_bounds("custom", today=TODAY, end=date(2030, 1, 1)) == (None, TODAY)


def test_months_between_spans_year_ends():
    assert periods.months_between(date(2023, 11, 20), date(2024, 2, 3)) == [
        date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]


# --- Post-mortems per month -------------------------------------------------------------------


def test_per_month_by_severity_and_status_in_utc(archive, facilitator):
    months = per_month(scope_for(facilitator))
    assert date(2023, 12, 1) not in months  # an empty month has no row; the page shows it as zeros
    jan, feb, mar = months[date(2024, 1, 1)], months[date(2024, 2, 1)], months[date(2024, 3, 1)]
    assert (jan["sev1"], jan["sev2"], jan["total"]) == (1, 2, 3)
    assert (jan["published"], jan["in_review"], jan["draft"]) == (2, 1, 0)
    assert (feb["sev3"], feb["draft"], feb["total"]) == (1, 1, 1)  # D, by when it was written
    assert (mar["sev4"], mar["published"], mar["total"]) == (2, 2, 2)


def test_incident_at_the_end_of_january_utc_is_february_in_auckland(archive, facilitator):
    months = per_month(scope_for(facilitator, "Pacific/Auckland"))
    assert months[date(2024, 1, 1)]["total"] == 2
    assert months[date(2024, 2, 1)]["total"] == 2  # C (1 Feb 12:30 NZDT) and D
    assert months[date(2024, 2, 1)]["sev2"] == 1


def test_incident_early_on_the_first_of_march_utc_is_february_in_los_angeles(archive, facilitator):
    months = per_month(scope_for(facilitator, "America/Los_Angeles"))
    assert months[date(2024, 1, 1)]["total"] == 3  # C is 31 Jan 15:30 PST
    assert months[date(2024, 2, 1)]["total"] == 2  # D and F (29 Feb 19:00 PST)
    assert months[date(2024, 3, 1)]["total"] == 1


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_months_bucketed_against_the_pages_months_equal_truncmonth(archive, facilitator, tz):
    # SQLite buckets by comparing with each month's first instant; rows outside the given months
    # (December and March here) fall back to TruncMonth. Both must agree at every boundary.
    scope = scope_for(facilitator, tz)
    scoped = periods.scoped_postmortems(scope)
    pms = periods.in_period(scoped, scope)
    months = [date(2024, 1, 1), date(2024, 2, 1)]
    assert queries.postmortem_figures(pms, scope.tz, months) == queries.postmortem_figures(pms, scope.tz)
    assert queries.factors_per_month(pms, scope.tz, months) == queries.factors_per_month(pms, scope.tz)
    assert queries.action_items_per_month(scoped, scope, months) == queries.action_items_per_month(scoped, scope)
    assert queries.findings_per_month(scoped, scope, months) == queries.findings_per_month(scoped, scope)


def test_period_bounds_follow_the_readers_time_zone(archive, facilitator):
    february = scope_for(facilitator, "Pacific/Auckland", start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert titles(periods.in_period(periods.scoped_postmortems(february), february)) == ["C", "D"]
    february_utc = scope_for(facilitator, start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert titles(periods.in_period(periods.scoped_postmortems(february_utc), february_utc)) == ["D"]


def test_empty_period_has_no_rows(archive, facilitator):
    empty = scope_for(facilitator, start=date(2022, 1, 1), end=date(2022, 6, 30))
    assert per_month(empty) == {}
    pms = periods.in_period(periods.scoped_postmortems(empty), empty)
    assert durations_per_month(pms, empty.tz) == ({}, {m: queries.Spread() for m in queries.MEASURES})
    assert queries.factors_per_month(pms, empty.tz) == {}
    assert queries.top_tags(pms) == [] and queries.top_teams(pms) == []
    by_month, totals = queries.action_items_per_month(periods.scoped_postmortems(empty), empty)
    assert by_month == {} and totals["created"] == 0 and totals["days"] == queries.Spread()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("facilitator", {"Jan": 3, "Feb": 1, "Mar": 2}),
        ("author", {"Jan": 2, "Feb": 1, "Mar": 2}),  # A, B; own draft D; own restricted E and F
        ("other_author", {"Jan": 2, "Mar": 1}),
        ("reader", {"Jan": 2, "Mar": 1}),
        ("outsider", {"Jan": 2, "Mar": 1}),
    ],
)
def test_restricted_and_unpublished_count_only_for_those_who_may_see_them(archive, request, role, expected):
    user = request.getfixturevalue(role)
    months = per_month(scope_for(user))
    assert {f"{m:%b}": figures["total"] for m, figures in months.items()} == expected


def test_team_tag_and_severity_filters(archive, facilitator):
    assert sum(f["total"] for f in per_month(scope_for(facilitator, team=archive["platform"])).values()) == 2
    db = queries.visible_tags(facilitator).get(slug="db")
    assert sum(f["total"] for f in per_month(scope_for(facilitator, tag=db)).values()) == 3
    assert sum(f["total"] for f in per_month(scope_for(facilitator, severity="sev2")).values()) == 2


# --- Durations --------------------------------------------------------------------------------


def test_durations_median_p90_and_n_per_month(archive, facilitator):
    scope = scope_for(facilitator)
    pms = periods.in_period(periods.scoped_postmortems(scope), scope)
    by_month, overall = durations_per_month(pms, scope.tz)
    jan = by_month[date(2024, 1, 1)]
    assert jan["detect"] == queries.Spread(3, 1200, pytest.approx(1680))  # 10, 20, 30 min
    assert jan["mitigate"] == queries.Spread(1, 1800, 1800)
    assert jan["resolve"] == queries.Spread(3, 7200, pytest.approx(12960))  # 1 h, 2 h, 4 h
    assert by_month.get(date(2024, 2, 1), {}).get("detect", queries.Spread()).n == 0  # D has no times
    mar = by_month[date(2024, 3, 1)]
    assert mar["detect"] == queries.Spread(1, 2400, 2400)  # F's detection precedes its start: left out
    assert mar["resolve"] == queries.Spread(2, 16200, pytest.approx(20520))
    assert overall["detect"].n == 4 and overall["detect"].median == pytest.approx(1500)
    assert overall["resolve"].n == 5 and overall["resolve"].median == 10800


def test_durations_of_a_readers_view_leave_out_what_they_may_not_see(archive, reader):
    scope = scope_for(reader)
    by_month, overall = durations_per_month(periods.in_period(periods.scoped_postmortems(scope), scope),
                                                     scope.tz)
    assert by_month[date(2024, 1, 1)]["detect"] == queries.Spread(2, 900, pytest.approx(1140))
    assert overall["resolve"].n == 3  # A, B, F


def test_percentiles_match_an_independent_computation(db, facilitator, make_postmortem):
    rng = random.Random(7)
    expected = {}
    for month in (1, 2, 3):
        values = []
        for _ in range(rng.randint(2, 9)):
            start = utc(2024, month, rng.randint(1, 27), rng.randint(0, 23))
            seconds = rng.randint(1, 40_000)
            make_postmortem(started_at=start, resolved_at=start + timedelta(seconds=seconds))
            values.append(seconds)
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        expected[date(2024, month, 1)] = (len(values), statistics.median(values), deciles[8])
    scope = scope_for(facilitator)
    by_month, _ = durations_per_month(periods.in_period(periods.scoped_postmortems(scope), scope),
                                               scope.tz)
    for month, (n, median, p90) in expected.items():
        spread = by_month[month]["resolve"]
        assert (spread.n, spread.median, spread.p90) == (n, pytest.approx(median), pytest.approx(p90))


# --- Factors, tags, teams ---------------------------------------------------------------------


def test_factor_categories_count_post_mortems_per_month(archive, facilitator):
    scope = scope_for(facilitator)
    factors = queries.factors_per_month(periods.in_period(periods.scoped_postmortems(scope), scope), scope.tz)
    change, capacity = (FactorCategory.objects.get(slug=s).pk for s in ("change", "capacity"))
    assert factors == {date(2024, 1, 1): {change: 3, capacity: 1}}  # A's two change factors count once


def test_tags_and_teams_with_most_incidents(archive, facilitator, reader):
    scope = scope_for(facilitator)
    pms = periods.in_period(periods.scoped_postmortems(scope), scope)
    assert [(t["slug"], t["n"]) for t in queries.top_tags(pms)] == [("db", 3), ("network", 2), ("secret-thing", 1)]
    assert [(t["slug"], t["n"]) for t in queries.top_teams(pms)] == [("payments", 2), ("platform", 2)]
    scope = scope_for(reader)
    pms = periods.in_period(periods.scoped_postmortems(scope), scope)
    assert [(t["slug"], t["n"]) for t in queries.top_tags(pms)] == [("db", 2), ("network", 1)]


def test_tags_of_restricted_post_mortems_do_not_leak_into_the_filter(archive, reader, facilitator):
    assert "secret-thing" not in queries.visible_tags(reader).values_list("slug", flat=True)
    assert "secret-thing" in queries.visible_tags(facilitator).values_list("slug", flat=True)


# --- Action items and findings ----------------------------------------------------------------


def test_action_items_created_and_completed_per_month(archive, facilitator):
    scope = scope_for(facilitator)
    by_month, totals = queries.action_items_per_month(periods.scoped_postmortems(scope), scope)
    jan, feb, mar = (by_month[date(2024, m, 1)] for m in (1, 2, 3))
    assert (jan["created"], jan["done"], jan["wont_do"]) == (3, 1, 0)
    assert (feb["created"], feb["done"], feb["wont_do"]) == (1, 1, 1)
    assert (mar["created"], mar["done"], mar["wont_do"]) == (2, 0, 0)
    assert jan["days"] == queries.Spread(1, 10, 10)
    assert feb["days"].median == pytest.approx(35)
    assert (totals["created"], totals["done"], totals["wont_do"]) == (6, 2, 1)
    assert totals["days"].n == 2 and totals["days"].median == pytest.approx(22.5)


def test_open_and_overdue_action_items_by_team(archive, facilitator, reader):
    teams, totals = queries.open_action_items_by_team(periods.scoped_postmortems(scope_for(facilitator)), TODAY)
    assert {(t["slug"], t["open"], t["overdue"]) for t in teams} == {
        ("platform", 2, 1), ("payments", 1, 1), (None, 1, 0)}
    assert totals == {"open": 3, "overdue": 1}  # the item of B counts once, though B has two teams
    _, totals = queries.open_action_items_by_team(periods.scoped_postmortems(scope_for(reader)), TODAY)
    assert totals == {"open": 2, "overdue": 1}  # not the one on the restricted E


def test_language_findings_per_month_by_category(archive, facilitator, reader):
    assert queries.findings_per_month(periods.scoped_postmortems(scope_for(facilitator)), scope_for(facilitator)) == {
        date(2024, 1, 1): {"blame": 1, "counterfactual": 1}, date(2024, 3, 1): {"blame": 1}}
    assert queries.findings_per_month(periods.scoped_postmortems(scope_for(reader)), scope_for(reader)) == {
        date(2024, 1, 1): {"blame": 1, "counterfactual": 1}}


# --- The post-mortems behind a figure ---------------------------------------------------------


@pytest.mark.parametrize(
    ("facets", "expected"),
    [
        (Facets(month=date(2024, 1, 1)), ["A", "B", "C"]),
        (Facets(month=date(2024, 1, 1), status="published"), ["A", "B"]),
        (Facets(measure="detect"), ["A", "B", "C", "E"]),
        (Facets(measure="mitigate"), ["A"]),
        (Facets(action="created", month=date(2024, 2, 1)), ["B"]),
        (Facets(action="wont_do"), ["A"]),
        (Facets(action="open"), ["B", "E", "F"]),
        (Facets(action="overdue"), ["B"]),
        (Facets(action="open", no_team=True), ["E"]),
        (Facets(finding="counterfactual"), ["A"]),
        (Facets(finding="any", month=date(2024, 3, 1)), ["E"]),
    ],
)
def test_postmortems_behind_each_figure(archive, facilitator, facets, expected):
    assert titles(queries.postmortems_behind(scope_for(facilitator), facets)) == expected


def test_postmortems_behind_a_category_count(archive, facilitator):
    change = FactorCategory.objects.get(slug="change")
    assert titles(queries.postmortems_behind(scope_for(facilitator), Facets(category=change))) == ["A", "B", "C"]


def test_postmortems_behind_a_figure_respect_visibility(archive, reader):
    assert titles(queries.postmortems_behind(scope_for(reader), Facets(action="open"))) == ["B", "F"]


# --- Cost -------------------------------------------------------------------------------------


def test_spreads_cost_the_same_queries_whatever_the_rows(db, facilitator, make_postmortem):
    scope = scope_for(facilitator)

    def count():
        pms = periods.in_period(periods.scoped_postmortems(scope), scope)
        with CaptureQueriesContext(connection) as ctx:
            durations_per_month(pms, scope.tz)
        return len(ctx.captured_queries)

    make_postmortem(started_at=utc(2024, 1, 2), resolved_at=utc(2024, 1, 3))
    few = count()
    for day in range(1, 28):
        make_postmortem(started_at=utc(2024, 2, day), resolved_at=utc(2024, 2, day, 5))
    assert count() == few <= 2
