"""Insights and the coach's trends over dates that make sense: periods and months run from 1970 to today,
"All time" starts at the first month that holds data, links with any month answer, and an incident
time already stored out of range (year 1, year 9999) leaves its post-mortem out instead of breaking
the page."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from postmortems.models import ActionItem, LanguageFinding, PostMortem, Profile, Status
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user, zone=""):
    if zone:
        Profile.objects.update_or_create(user=user, defaults={"time_zone": zone})
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def archive(make_postmortem, author):
    """Two sensible post-mortems (January and March 2024) and three whose times were stored before they
    were checked: an incident in year 1, one in 9999, and one without times written in year 1."""
    good = [
        make_postmortem(title="January", status=Status.PUBLISHED, started_at=datetime(2024, 1, 10, 10, tzinfo=UTC),
                        resolved_at=datetime(2024, 1, 10, 12, tzinfo=UTC)),
        make_postmortem(title="March", status=Status.PUBLISHED, started_at=datetime(2024, 3, 5, 8, tzinfo=UTC)),
    ]
    ancient = make_postmortem(title="Ancient", status=Status.PUBLISHED)
    PostMortem.objects.filter(pk=ancient.pk).update(started_at=datetime(1, 1, 1, tzinfo=UTC),
                                                    resolved_at=datetime(2024, 1, 1, tzinfo=UTC))
    far = make_postmortem(title="Far future", status=Status.PUBLISHED)
    PostMortem.objects.filter(pk=far.pk).update(started_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    undated = make_postmortem(title="Undated", status=Status.PUBLISHED)
    PostMortem.objects.filter(pk=undated.pk).update(created_at=datetime(1, 1, 2, tzinfo=UTC))
    for pm in (*good, ancient, far):
        ActionItem.objects.create(postmortem=pm, title="Follow up", created_at=datetime(2024, 3, 6, tzinfo=UTC))
        LanguageFinding.objects.create(postmortem=pm, rule_slug="r", category="blame", location="s", text="t",
                                       created_at=datetime(2024, 3, 6, tzinfo=UTC))
    return good


def months_of(report):
    return report.months


ZONES = ["", "Pacific/Kiritimati", "Pacific/Pago_Pago"]  # UTC, UTC+14, UTC-11


@pytest.mark.parametrize("zone", ZONES)
def test_all_time_runs_from_the_first_month_with_data_and_leaves_out_times_out_of_range(
        client, archive, facilitator, zone):
    client = signed_in(client, facilitator, zone)
    started = time.perf_counter()
    response = client.get("/insights/?period=all")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    report = response.context["report"]
    months = report.months
    assert months[0] in (date(2024, 1, 1), date(2023, 12, 1))  # Pago Pago's January 10th is still January
    assert months[-1] == timezone.localdate().replace(day=1)
    facts = {f["label"]: f["value"] for f in response.context["facts"]}
    assert facts["Post-mortems"] == 2
    assert report.left_out == 3
    assert "3 post-mortems with an incident time before 1970 or more than a year ahead are left out" in (
        response.content.decode())
    assert len(response.content) < 1_500_000 and elapsed < 30, (len(response.content), elapsed)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("path", ["/insights/severity.csv?period=all", "/insights/durations.csv?period=all",
                                  "/insights/actions.csv?period=all", "/insights/findings.csv?period=all",
                                  "/insights/postmortems/?period=all", "/insights/?period=12m",
                                  "/insights/?period=custom&from=1970-01-01",
                                  "/insights/postmortems/?period=all&measure=resolve"])
def test_every_period_answers_with_only_sensible_incidents(client, archive, facilitator, zone, path):
    response = signed_in(client, facilitator, zone).get(path)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Ancient" not in content and "Far future" not in content and "Undated" not in content
    if path.endswith("severity.csv?period=all"):
        assert content.strip().splitlines()[-1].endswith(",2")  # the total: January and March only


def test_the_drill_down_of_all_time_lists_only_sensible_incidents(client, archive, facilitator):
    response = signed_in(client, facilitator).get("/insights/postmortems/?period=all")
    assert [pm.title for pm in response.context["page"]] == ["March", "January"]


def test_no_note_when_nothing_is_left_out(client, facilitator, make_postmortem):
    make_postmortem(title="January", started_at=datetime(2024, 1, 10, 10, tzinfo=UTC))
    response = signed_in(client, facilitator).get("/insights/?period=all")
    assert response.context["report"].left_out == 0
    assert "left out" not in response.content.decode()


def test_a_reader_is_told_only_of_what_they_may_see(client, archive, reader, make_postmortem):
    hidden = make_postmortem(title="Hidden draft", status=Status.DRAFT)
    PostMortem.objects.filter(pk=hidden.pk).update(started_at=datetime(1, 1, 1, tzinfo=UTC))
    response = signed_in(client, reader).get("/insights/?period=all")
    assert response.context["report"].left_out == 3


def test_a_1970_incident_gives_all_time_a_long_but_bounded_axis(client, facilitator, make_postmortem):
    make_postmortem(title="Epoch", started_at=datetime(1970, 1, 1, tzinfo=UTC))
    make_postmortem(title="Recent", started_at=timezone.now() - timedelta(days=3))
    started = time.perf_counter()
    response = signed_in(client, facilitator).get("/insights/?period=all")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    months = response.context["report"].months
    assert months[0] == date(1970, 1, 1)
    assert len(months) == (timezone.localdate().year - 1970) * 12 + timezone.localdate().month
    assert elapsed < 60, elapsed


# ---- month links and custom periods -------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "0001-01", "1969-12", "²", "٢٠٢٤-٠١", "2024-1", "-2024-01",
                                   "20240-01", "2024-00", "2024-13"])
def test_drill_down_months_out_of_range_or_junk_are_refused_with_a_message(client, archive, facilitator, month):
    response = signed_in(client, facilitator).get("/insights/postmortems/", {"period": "all", "month": month})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These links were not understood" in html
    assert "Choose a month from January 1970" in html or "Use a month as YYYY-MM." in html


@pytest.mark.parametrize("month,titles", [("1970-01", []), ("2024-01", ["January"]), ("2024-03", ["March"])])
def test_drill_down_months_in_range_answer(client, archive, facilitator, month, titles):
    response = signed_in(client, facilitator).get(f"/insights/postmortems/?period=all&month={month}")
    assert response.status_code == 200
    assert [pm.title for pm in response.context["page"]] == titles


def test_the_current_month_is_the_last_one_a_link_may_name(client, facilitator):
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    client = signed_in(client, facilitator)
    assert client.get(f"/insights/postmortems/?period=all&month={this_month:%Y-%m}").status_code == 200
    assert client.get(f"/insights/postmortems/?period=all&month={next_month:%Y-%m}").status_code == 400


@pytest.mark.parametrize("query,field,message", [
    ("period=custom&from=9999-12-31", "from", "Choose a start date no later than today"),
    ("period=custom&from=0001-01-01", "from", "Choose a start date from 1 January 1970 on"),
    ("period=custom&to=0001-01-01", "to", "Choose an end date from 1 January 1970 on"),
    ("period=custom&to=1969-12-31", "to", "Choose an end date from 1 January 1970 on"),
])
def test_custom_periods_out_of_range_are_refused_next_to_the_field(client, archive, facilitator, query, field,
                                                                   message):
    response = signed_in(client, facilitator).get(f"/insights/?{query}")
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]


@pytest.mark.parametrize("query", ["period=custom&to=9999-12-31", "period=custom&from=1970-01-01&to=9999-12-31"])
def test_a_custom_period_ending_far_ahead_ends_today(client, archive, facilitator, query):
    response = signed_in(client, facilitator).get(f"/insights/?{query}")
    assert response.status_code == 200
    assert response.context["report"].months[-1] == timezone.localdate().replace(day=1)


# ---- the coach's trends ----------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "0001-01", "1969-12", "²", "٢٠٢٤-٠١", "2024-13", "x"])
def test_trends_months_out_of_range_or_junk_say_so(client, archive, facilitator, month):
    response = signed_in(client, facilitator).get("/coach/trends/", {"month": month})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a month from 1970-01" in html or "Months look like 2025-03." in html
    assert response.context["listed"] == []


def test_trends_list_a_month_in_range(client, archive, facilitator):
    response = signed_in(client, facilitator, "Pacific/Kiritimati").get("/coach/trends/?month=2024-03")
    assert response.status_code == 200
    assert response.context["error"] == ""
    assert len(response.context["listed"]) == 4
