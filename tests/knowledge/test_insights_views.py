"""The insights page, its CSV downloads and the post-mortems behind each figure, through HTTP."""

import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge.insights.report import InsightsReport
from postmortems.models import ActionItem, ContributingFactor, FactorCategory, LanguageFinding, Profile, Team
from tests.factories import PASSWORD
from tests.knowledge.test_insights_aggregates import build_archive

PERIOD = "period=custom&from=2023-12-01&to=2024-03-31"
ROLES = ["reader", "author", "other_author", "facilitator", "outsider"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def archive(make_postmortem, author):
    return build_archive(make_postmortem, author)


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


class ChartTables(HTMLParser):
    """Collect each chart section's table: {section id: [[(text, href), ...], ...]} (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self.section, self.row, self.cell, self.href = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "chart" in (attrs.get("class") or ""):
            self.section = attrs["id"]
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell, self.href = "", None
        elif tag == "a" and self.cell is not None:
            self.href = attrs["href"]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append((self.cell.strip(), self.href))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.section].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def tables_of(response):
    parser = ChartTables()
    parser.feed(response.content.decode())
    return parser.tables


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/insights/", "/insights/severity.csv", "/insights/postmortems/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_role_sees_the_page(client, archive, request, role):
    response = signed_in(client, request.getfixturevalue(role)).get("/insights/")
    assert response.status_code == 200
    assert b"Post-mortems per month, by severity" in response.content
    assert b'href="/insights/" aria-current="page"' in response.content


@pytest.mark.parametrize("path", ["/insights/", "/insights/severity.csv", "/insights/postmortems/"])
def test_the_pages_only_answer_get(client, reader, path):
    assert signed_in(client, reader).post(path).status_code == 405


def test_every_chart_is_an_accessible_image_with_a_table(client, archive, facilitator):
    response = signed_in(client, facilitator).get(f"/insights/?{PERIOD}")
    html = response.content.decode()
    for slug in InsightsReport.SLUGS:
        assert f'id="{slug}"' in html
        assert f'href="/insights/{slug}.csv?' in html
    assert html.count('role="group" aria-labelledby="chart-') == html.count("<svg") >= len(InsightsReport.SLUGS)
    assert html.count("<title id=") == html.count("<desc id=") == html.count("<svg")
    assert set(tables_of(response)) == set(InsightsReport.SLUGS)


# --- Visibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "total", "sees_secret"),
    [("facilitator", 6, True), ("author", 5, True), ("other_author", 3, False), ("reader", 3, False),
     ("outsider", 3, False)],
)
def test_restricted_and_drafts_count_only_for_those_who_may_see_them(client, archive, request, role, total,
                                                                      sees_secret):
    client = signed_in(client, request.getfixturevalue(role))
    rows = csv_rows(client.get(f"/insights/severity.csv?{PERIOD}"))
    assert rows[-1][0] == "All months" and int(rows[-1][-1]) == total
    page = client.get(f"/insights/?{PERIOD}").content.decode()
    assert ("secret-thing" in page) is sees_secret
    listing = client.get(f"/insights/postmortems/?{PERIOD}")
    assert listing.context["page"].paginator.count == total


def test_a_reader_cannot_filter_by_a_tag_only_restricted_post_mortems_carry(client, archive, reader):
    response = signed_in(client, reader).get("/insights/?tag=secret-thing")
    assert response.status_code == 400
    assert "No post-mortem you may see carries this tag" in response.content.decode()
    assert "secret-thing</option>" not in signed_in(client, reader).get("/insights/").content.decode()


# --- The CSV is the chart's table -------------------------------------------------------------


@pytest.mark.parametrize("slug", InsightsReport.SLUGS)
def test_each_csv_matches_its_charts_table(client, archive, facilitator, slug):
    client = signed_in(client, facilitator)
    table = tables_of(client.get(f"/insights/?{PERIOD}"))[slug]
    rows = csv_rows(client.get(f"/insights/{slug}.csv?{PERIOD}"))
    assert len(rows) == len(table) > 1
    header = [text for text, _ in table[0]]
    assert [h.replace(" (minutes)", "") for h in rows[0]] == header
    for csv_row, html_row in zip(rows[1:], table[1:], strict=True):
        for value, (text, _), column in zip(csv_row, html_row, header, strict=True):
            if "median" in column or "percentile" in column:
                assert (value == "") is (text == "—")
            elif text == "—":
                assert value == ""
            else:
                assert value == text, (column, value, text)


def test_duration_csv_holds_minutes_and_the_table_human_units(client, archive, facilitator):
    client = signed_in(client, facilitator)
    rows = csv_rows(client.get(f"/insights/durations.csv?{PERIOD}"))
    january = next(r for r in rows if r[0] == "Jan 2024")
    assert january[1:4] == ["3", "20.0", "28.0"]  # detect: n, median, p90 in minutes
    table = tables_of(client.get(f"/insights/?{PERIOD}"))["durations"]
    html_january = next(r for r in table if r[0][0] == "Jan 2024")
    assert [text for text, _ in html_january[1:4]] == ["3", "20 min", "28 min"]


def test_csv_neutralises_formulas_in_tag_names(client, archive, facilitator):
    archive["A"].tags.add("=cmd()")
    archive["B"].tags.add("=cmd()")
    rows = csv_rows(signed_in(client, facilitator).get(f"/insights/tags.csv?{PERIOD}"))
    assert ["'=cmd()", "2"] in rows


def test_csv_of_an_unknown_chart_is_not_found(client, reader):
    assert signed_in(client, reader).get("/insights/nothing.csv").status_code == 404


def test_csv_with_bad_filters_says_so(client, reader):
    response = signed_in(client, reader).get("/insights/severity.csv?period=custom&from=2024-05-01&to=2024-01-01")
    assert response.status_code == 400
    assert b"end date comes before the start date" in response.content


# --- Time zones -------------------------------------------------------------------------------


def test_months_are_the_readers_own(client, archive, facilitator):
    client = signed_in(client, facilitator)
    utc_rows = {r[0]: r for r in csv_rows(client.get(f"/insights/severity.csv?{PERIOD}"))}
    assert utc_rows["Jan 2024"][-1] == "3" and utc_rows["Feb 2024"][-1] == "1"
    Profile.objects.update_or_create(user=facilitator, defaults={"time_zone": "Pacific/Auckland"})
    nz_rows = {r[0]: r for r in csv_rows(client.get(f"/insights/severity.csv?{PERIOD}"))}
    assert nz_rows["Jan 2024"][-1] == "2" and nz_rows["Feb 2024"][-1] == "2"
    assert b"Months in Pacific/Auckland" in client.get(f"/insights/?{PERIOD}").content


def test_empty_months_show_as_zeros(client, archive, facilitator):
    rows = csv_rows(signed_in(client, facilitator).get(f"/insights/severity.csv?{PERIOD}"))
    assert rows[1] == ["Dec 2023", "0", "0", "0", "0", "0"]


# --- Every figure links to what it counts -----------------------------------------------------


COUNTED_POSTMORTEMS = {
    "severity": None, "status": None, "factors": {"Category mentions"}, "durations": {"median", "percentile"},
    "recurring": {"Months it appears in"}, "tags": None, "teams": None,
}


@pytest.mark.parametrize("slug", sorted(COUNTED_POSTMORTEMS))
def test_each_count_of_post_mortems_links_to_exactly_those_post_mortems(client, archive, facilitator, slug):
    client = signed_in(client, facilitator)
    table = tables_of(client.get(f"/insights/?{PERIOD}"))[slug]
    header = [text for text, _ in table[0]]
    skip = COUNTED_POSTMORTEMS[slug] or set()
    followed = 0
    for row in table[1:]:
        for (text, href), column in zip(row[1:], header[1:], strict=True):
            if any(word in column for word in skip) or not text.isdigit():
                continue
            if text == "0":
                assert href is None
                continue
            assert href and href.startswith("/insights/postmortems/?"), (slug, column, text)
            listing = client.get(href)
            assert listing.status_code == 200
            assert listing.context["page"].paginator.count == int(text), (slug, column, href)
            followed += 1
    assert followed


def test_every_figure_in_every_table_links_somewhere(client, archive, facilitator):
    tables = tables_of(signed_in(client, facilitator).get(f"/insights/?{PERIOD}"))
    for slug, table in tables.items():
        for row in table[1:]:
            for text, href in row[1:]:
                if any(ch.isdigit() for ch in text) and text != "0":
                    assert href, (slug, row[0][0], text)


def test_bars_of_tags_and_teams_open_the_filtered_library(client, archive, facilitator):
    client = signed_in(client, facilitator)
    tables = tables_of(client.get(f"/insights/?{PERIOD}&severity=sev2"))
    name, href = tables["tags"][1][0]
    assert name == "network"  # B and C are SEV2 and carry it
    assert parse_qs(urlsplit(href).query) == {"tag": ["network"], "severity": ["sev2"]}
    assert urlsplit(href).path == "/postmortems/"
    assert urlsplit(tables["teams"][1][0][1]).path == "/postmortems/"


def test_recurring_categories_link_to_search_and_tags_to_the_library(client, archive, facilitator):
    table = tables_of(signed_in(client, facilitator).get(f"/insights/?{PERIOD}"))["recurring"]
    by_name = {row[1][0]: row for row in table[1:]}
    assert set(by_name) == {"Change", "db", "network"}  # capacity and secret-thing appear only once
    assert by_name["Change"][1][1] == "/search/?category=change"
    assert by_name["Change"][2][0] == "3"
    assert by_name["db"][1][1] == "/postmortems/?tag=db"


def test_action_item_figures_link_to_their_post_mortems(client, archive, facilitator):
    client = signed_in(client, facilitator)
    table = tables_of(client.get(f"/insights/?{PERIOD}"))["open-actions"]
    no_team = next(row for row in table if row[0][0] == "No team")
    listing = client.get(no_team[1][1])
    assert [pm.title for pm in listing.context["page"]] == ["E"]
    assert "with no team" in listing.context["description"]


# --- Filters and bad input --------------------------------------------------------------------


def test_filters_are_kept_in_the_form_and_in_every_link(client, archive, facilitator):
    response = signed_in(client, facilitator).get(f"/insights/?{PERIOD}&team=platform")
    html = response.content.decode()
    assert '<option value="platform" selected>' in html
    assert 'value="2023-12-01"' in html
    assert "period=custom&amp;from=2023-12-01&amp;to=2024-03-31&amp;team=platform" in html
    rows = csv_rows(signed_in(client, facilitator).get(f"/insights/teams.csv?{PERIOD}&team=platform"))
    assert rows[1:] == [["Platform", "2"], ["Payments", "1"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom", "Give a start date, an end date or both"),
        ("period=custom&from=2024-05-01&to=2024-01-01", "The end date comes before the start date"),
        ("period=custom&from=yesterday", "Enter a valid date"),
        ("team=nobody", "Select a valid choice"),
        ("severity=sev9", "Select a valid choice"),
        ("period=forever", "Select a valid choice"),
        ("period=custom&from=1066-10-14", "Choose a start date from 1 January 1970 on"),
    ],
)
def test_bad_filters_are_shown_and_the_input_kept(client, archive, reader, query, message):
    response = signed_in(client, reader).get(f"/insights/?{query}&tag=db")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'name="tag" value="db"' in html
    assert "Correct the filters above" in html


def test_tags_can_be_typed_by_name_and_are_suggested(client, archive, facilitator):
    client = signed_in(client, facilitator)
    response = client.get(f"/insights/?{PERIOD}&tag=Network")
    assert response.status_code == 200
    assert response.context["report"].scope.tag.slug == "network"
    assert '<option value="secret-thing">secret-thing</option>' in response.content.decode()


def test_a_custom_period_ends_today_at_the_latest(client, facilitator):
    rows = csv_rows(signed_in(client, facilitator).get("/insights/severity.csv?period=custom&to=9999-12-31"))
    assert rows[-2][0] == f"{timezone.localdate():%b %Y}"  # the last month shown is this one


def test_dates_alone_mean_a_custom_period(client, archive, facilitator):
    rows = csv_rows(signed_in(client, facilitator).get("/insights/severity.csv?from=2024-01-01&to=2024-01-31"))
    assert [r[0] for r in rows[1:]] == ["Jan 2024", "All months"]


def test_the_default_period_is_the_last_twelve_months(client, facilitator, make_postmortem):
    now = datetime.now(UTC)
    make_postmortem(started_at=now - timedelta(days=2))
    make_postmortem(started_at=now - timedelta(days=500))
    rows = csv_rows(signed_in(client, facilitator).get("/insights/severity.csv"))
    assert len(rows) == 1 + 12 + 1
    assert rows[-1][-1] == "1"
    all_rows = csv_rows(signed_in(client, facilitator).get("/insights/severity.csv?period=all"))
    assert all_rows[-1][-1] == "2" and len(all_rows) > 14


@pytest.mark.parametrize("query", ["month=2024-13", "month=jan", "action=everything", "category=nope"])
def test_drill_down_with_bad_links_says_so(client, reader, query):
    response = signed_in(client, reader).get(f"/insights/postmortems/?{query}")
    assert response.status_code == 400
    assert b"These links were not understood" in response.content


def test_drill_down_describes_team_and_action_facets(client, archive, facilitator):
    response = signed_in(client, facilitator).get(f"/insights/postmortems/?{PERIOD}&team=platform&action=overdue")
    assert response.context["description"] == "Platform post-mortems with action items overdue now"
    assert [pm.title for pm in response.context["page"]] == ["B"]


def test_drill_down_lists_and_describes_what_it_counts(client, archive, facilitator):
    response = signed_in(client, facilitator).get(f"/insights/postmortems/?{PERIOD}&month=2024-01&severity=sev2")
    assert response.status_code == 200
    assert [pm.title for pm in response.context["page"]] == ["C", "B"]
    assert response.context["description"] == "SEV2 post-mortems in January 2024"
    assert b'href="/postmortems/incident-3/"' in response.content


# --- Cost does not grow with the archive ------------------------------------------------------


def grow(make_postmortem, n, teams, categories):
    for i in range(n):
        start = datetime(2024, 1 + i % 3, 1 + i % 27, 9, tzinfo=UTC)
        pm = make_postmortem(status="published", severity=f"sev{1 + i % 4}", started_at=start,
                             detected_at=start + timedelta(minutes=5 + i), resolved_at=start + timedelta(hours=1 + i))
        pm.teams.add(teams[i % len(teams)])
        pm.tags.add(f"tag-{i % 7}", f"service-{i % 5}")
        ContributingFactor.objects.create(postmortem=pm, category=categories[i % len(categories)], description="…")
        ActionItem.objects.create(postmortem=pm, title="Fix", created_at=start,
                                  status="done" if i % 2 else "open", completed_at=start + timedelta(days=3)
                                  if i % 2 else None, due_date=(start + timedelta(days=10)).date())
        LanguageFinding.objects.create(postmortem=pm, rule_slug="r", category="blame", location="s", text="t",
                                       created_at=start)


@pytest.mark.parametrize("role", ["facilitator", "reader"])
def test_query_count_does_not_grow_with_the_archive(client, make_postmortem, request, role):
    user = request.getfixturevalue(role)
    client = signed_in(client, user)
    teams = [Team.objects.create(name=f"Team {i}", slug=f"team-{i}") for i in range(4)]
    categories = list(FactorCategory.objects.all())
    paths = [f"/insights/?{PERIOD}", f"/insights/?{PERIOD}&team=team-1&tag=tag-1&severity=sev2",
             "/insights/?period=all", f"/insights/factors.csv?{PERIOD}", f"/insights/durations.csv?{PERIOD}",
             f"/insights/postmortems/?{PERIOD}&month=2024-01", f"/insights/postmortems/?{PERIOD}&action=open"]

    def counts():
        result = []
        for path in paths:
            client.get(path)  # warm caches (content types, sessions)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    grow(make_postmortem, 3, teams, categories)
    few = counts()
    grow(make_postmortem, 27, teams, categories)
    assert counts() == few
    assert few[0] <= 25
