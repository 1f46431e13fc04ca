"""The timeline paste parser, case by case (no database)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from postmortems.interchange.timeline import find_date, guess_kind, parse_timeline, parse_zone

DAY = date(2024, 3, 1)
OSLO = ZoneInfo("Europe/Oslo")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# (text, default tz, expected [(occurred_at in UTC, description)])
SINGLE_LINES = [
    ("2024-03-01 14:05 UTC Pager fired", UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired")]),
    ("14:05 rolled back", UTC, [(utc(2024, 3, 1, 14, 5), "rolled back")]),
    ("14:05 rolled back", OSLO, [(utc(2024, 3, 1, 13, 5), "rolled back")]),
    ("[14:05] Pager fired", UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired")]),
    ("[2024-03-02 14:05:30] Pager fired", UTC, [(utc(2024, 3, 2, 14, 5, 30), "Pager fired")]),
    ("14:05 <alice> restarting the primary", UTC, [(utc(2024, 3, 1, 14, 5), "restarting the primary")]),
    ("[14:05] <@bob> posted status page", UTC, [(utc(2024, 3, 1, 14, 5), "posted status page")]),
    ("[14:05] alice: restarting the primary", UTC, [(utc(2024, 3, 1, 14, 5), "restarting the primary")]),
    ("[2:05 PM] @bob.smith: failing over", UTC, [(utc(2024, 3, 1, 14, 5), "failing over")]),
    # without the chat-style brackets a "word:" is the text's own label and stays
    ("14:05 Status: degraded", UTC, [(utc(2024, 3, 1, 14, 5), "Status: degraded")]),
    ("- **16:58 UTC** - Rolled back the deploy", OSLO, [(utc(2024, 3, 1, 16, 58), "Rolled back the deploy")]),
    ("- 14:05 Paged the on-call engineer", UTC, [(utc(2024, 3, 1, 14, 5), "Paged the on-call engineer")]),
    ("* 14:05: alert fired", UTC, [(utc(2024, 3, 1, 14, 5), "alert fired")]),
    ("1. 14:05 — escalated to the database team", UTC, [(utc(2024, 3, 1, 14, 5), "escalated to the database team")]),
    ("14:05 +02:00 Pager fired", UTC, [(utc(2024, 3, 1, 12, 5), "Pager fired")]),
    ("2024-03-01T14:05:00Z Pager fired", OSLO, [(utc(2024, 3, 1, 14, 5), "Pager fired")]),
    ("2024-03-01T14:05:00+0100 Pager fired", UTC, [(utc(2024, 3, 1, 13, 5), "Pager fired")]),
    ("14:05 CET Pager fired", UTC, [(utc(2024, 3, 1, 13, 5), "Pager fired")]),
    ("14:05 CEST Pager fired", UTC, [(utc(2024, 3, 1, 12, 5), "Pager fired")]),
    ("14:05 PST Pager fired", UTC, [(utc(2024, 3, 1, 22, 5), "Pager fired")]),
    ("14:05 (UTC+2) Pager fired", UTC, [(utc(2024, 3, 1, 12, 5), "Pager fired")]),
    ("2:05 PM: mitigated", UTC, [(utc(2024, 3, 1, 14, 5), "mitigated")]),
    ("12:10 am resolved", UTC, [(utc(2024, 3, 1, 0, 10), "resolved")]),
    ("1 March 2024 09:15 Started the failover", UTC, [(utc(2024, 3, 1, 9, 15), "Started the failover")]),
    ("Mar 2, 2024 09:15 Started the failover", UTC, [(utc(2024, 3, 2, 9, 15), "Started the failover")]),
    ("`14:05` Pager fired", UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired")]),
    # Lower-case words that look like zone names are words, not zones.
    ("14:05 met the vendor on a call", UTC, [(utc(2024, 3, 1, 14, 5), "met the vendor on a call")]),
    # An ambiguous abbreviation is not read as a zone: it stays in the text.
    ("14:05 CST Pager fired", UTC, [(utc(2024, 3, 1, 14, 5), "CST Pager fired")]),
]


@pytest.mark.parametrize("text, tz, expected", SINGLE_LINES, ids=[c[0] for c in SINGLE_LINES])
def test_single_lines(text, tz, expected):
    result = parse_timeline(text, default_date=DAY, tz=tz)
    assert [(e.occurred_at, e.description) for e in result.events] == expected
    assert result.unparsed_lines == []


UNREADABLE = [
    "No time on this line",
    "2024-03-13 14:?? Scaled the container down",
    "2024-03-13 --:-- Surge of deployments",
    "25:61 impossible time",
    "14:05",  # a time and nothing that happened
    "13:05 PM is not a time",
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_lines_are_returned_not_guessed(text):
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert result.events == []
    assert result.unparsed_lines == [text]
    assert result.remainder == text


def test_time_only_line_without_any_date_is_unparsed():
    result = parse_timeline("14:05 Pager fired", default_date=None, tz=UTC)
    assert result.events == []
    assert result.unparsed_lines == ["14:05 Pager fired"]


def test_time_only_lines_take_the_date_of_the_line_before():
    text = "2024-03-05 10:00 deploy started\n10:30 alert fired"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.occurred_at for e in result.events] == [utc(2024, 3, 5, 10), utc(2024, 3, 5, 10, 30)]


ROLLOVER = [
    # times going backwards by more than an hour: the next day
    ("23:50 deploy\n00:10 alert\n01:00 rolled back",
     [utc(2024, 3, 1, 23, 50), utc(2024, 3, 2, 0, 10), utc(2024, 3, 2, 1, 0)]),
    ("22:00 deploy\n23:30 alert\n09:00 resolved",
     [utc(2024, 3, 1, 22), utc(2024, 3, 1, 23, 30), utc(2024, 3, 2, 9)]),
    # twice
    ("23:00 a\n01:00 b\n23:00 c\n02:00 d",
     [utc(2024, 3, 1, 23), utc(2024, 3, 2, 1), utc(2024, 3, 2, 23), utc(2024, 3, 3, 2)]),
    # a small step back is a line written out of order, on the same day
    ("11:08 mail sent\n11:07 ticket raised", [utc(2024, 3, 1, 11, 8), utc(2024, 3, 1, 11, 7)]),
    # an explicit date never rolls over
    ("2024-03-01 15:50 a\n2024-03-01 14:30 b", [utc(2024, 3, 1, 15, 50), utc(2024, 3, 1, 14, 30)]),
]


@pytest.mark.parametrize("text, expected", ROLLOVER)
def test_midnight_rollover(text, expected):
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.occurred_at for e in result.events] == expected


def test_rollover_in_a_local_zone_across_dst():
    # Europe/Oslo moves to summer time at 02:00 on 2024-03-31.
    text = "23:30 deploy\n03:30 alert"
    result = parse_timeline(text, default_date=date(2024, 3, 30), tz=OSLO)
    assert [e.occurred_at for e in result.events] == [utc(2024, 3, 30, 22, 30), utc(2024, 3, 31, 1, 30)]


TABLES = [
    # (text, tz, expected [(utc, description)], unparsed count)
    (
        "| Time | Event |\n| --- | --- |\n| 14:05 | Pager fired |\n| 14:20 | Rolled back |",
        UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired"), (utc(2024, 3, 1, 14, 20), "Rolled back")], 0,
    ),
    (
        "| Date | Time | Event |\n|---|---|---|\n| 2024-03-04 | 09:00 | Deploy |\n| 2024-03-05 | 10:00 | Alert |",
        UTC, [(utc(2024, 3, 4, 9), "Deploy"), (utc(2024, 3, 5, 10), "Alert")], 0,
    ),
    (
        "| Date and Time in CET | Event |\n|:---|---|\n| 2019-11-29 12:00 | Scaling up |",
        UTC, [(utc(2019, 11, 29, 11), "Scaling up")], 0,
    ),
    (
        "| Time (UTC) | Event |\n| --- | --- |\n| 2024-03-01 14:05 | Pager fired |",
        OSLO, [(utc(2024, 3, 1, 14, 5), "Pager fired")], 0,
    ),
    (
        "Time | Event\n--- | ---\n14:05 | Pager fired",
        UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired")], 0,
    ),
    (
        "| Time | Event |\n| --- | --- |\n| 14:05 | a <br>b with S&amp;O and a \\| pipe |",
        UTC, [(utc(2024, 3, 1, 14, 5), "a \nb with S&O and a | pipe")], 0,
    ),
    (
        "| Time | Event |\n| --- | --- |\n| **14:05** | Pager fired |\n| 2024-03-13 HH:mm | placeholder |",
        UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired")], 1,
    ),
    (
        "| Time | Event | Impact |\n| --- | --- | --- |\n| 14:05 | Pager fired | checkout down |",
        UTC, [(utc(2024, 3, 1, 14, 5), "Pager fired — checkout down")], 0,
    ),
]


@pytest.mark.parametrize("text, tz, expected, unparsed", TABLES)
def test_markdown_tables(text, tz, expected, unparsed):
    result = parse_timeline(text, default_date=DAY, tz=tz)
    assert [(e.occurred_at, e.description) for e in result.events] == expected
    assert len(result.unparsed_lines) == unparsed


def test_unparsed_table_rows_keep_their_header_in_the_remainder():
    text = "| Time | Event |\n| --- | --- |\n| 14:05 | Pager fired |\n| 2024-03-10 | vendor published a fix |"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert result.remainder == "| Time | Event |\n| --- | --- |\n| 2024-03-10 | vendor published a fix |"


def test_table_kind_and_evidence_columns():
    text = (
        "| Time (UTC) | Kind | Event | Evidence |\n| --- | --- | --- | --- |\n"
        "| 2024-03-01 14:05 | communication | Pager fired | <https://grafana.example.com/d/1?a=1&amp;b=2> |\n"
        "| 2024-03-01 14:06 | not-a-kind | Rolled back | [graph](https://example.com/g) |"
    )
    result = parse_timeline(text, default_date=None, tz=UTC)
    first, second = result.events
    assert first.kind_guess == "communication"  # the column wins over the words
    assert first.evidence_url == "https://grafana.example.com/d/1?a=1&b=2"
    assert second.kind_guess == "mitigation"  # an unknown kind falls back to the guess
    assert second.evidence_url == "https://example.com/g"


def test_zone_line_sets_the_zone_for_what_follows():
    text = "All times in CET.\n\n| Time | Event |\n| --- | --- |\n| 2020-01-20 13:50 | Node reports errors |"
    result = parse_timeline(text, default_date=None, tz=UTC)
    assert [e.occurred_at for e in result.events] == [utc(2020, 1, 20, 12, 50)]
    assert result.unparsed_lines == []
    assert result.remainder == ""


def test_date_line_sets_the_date_for_time_only_lines():
    text = "### 2024-03-02\n- 09:00 deploy\n- 09:30 alert\n\n**2024-03-03**\n- 08:00 resolved"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.occurred_at for e in result.events] == [utc(2024, 3, 2, 9), utc(2024, 3, 2, 9, 30), utc(2024, 3, 3, 8)]


def test_wrapped_bullet_continues_the_event_before():
    text = "- 14:05 Pager fired for the checkout service\n  while the deploy was rolling out\n- 14:10 rolled back"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.description for e in result.events] == [
        "Pager fired for the checkout service\nwhile the deploy was rolling out", "rolled back",
    ]


def test_mixed_paste_keeps_unreadable_lines_in_order():
    text = "Chat log from #incident\n14:05 <alice> pager fired\nsome noise\n14:07 <bob> escalated to DBA"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.description for e in result.events] == ["pager fired", "escalated to DBA"]
    assert result.unparsed_lines == ["Chat log from #incident", "some noise"]


def test_lines_inside_code_fences_are_not_events():
    text = "```\n14:05 ERROR connection refused\n```\n14:06 Pager fired"
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert [e.description for e in result.events] == ["Pager fired"]


KINDS = [
    ("Pager fired", "detection"),
    ("Alert triggered on Slack", "detection"),
    ("Paged the on-call engineer", "detection"),
    ("Customer reported errors at checkout", "detection"),
    ("Rolled back to v41", "mitigation"),
    ("Rollback performed", "mitigation"),
    ("Mitigated by failing over to the replica", "mitigation"),
    ("Incident resolved", "resolution"),
    ("All systems verified operational", "resolution"),
    ("Incident declared resolved through statuspage.io", "resolution"),
    ("Posted status page update", "communication"),
    ("Mail sent to customers", "communication"),
    ("Escalated to the database team", "escalation"),
    ("Incident commander joined the call", "escalation"),
    ("Started investigating the load balancer", "action"),
    ("Deployed the config change", "action"),
    ("CPU at 80%", "observation"),
]


@pytest.mark.parametrize("text, kind", KINDS)
def test_kind_guess(text, kind):
    assert guess_kind(text) == kind
    assert parse_timeline(f"14:05 {text}", default_date=DAY, tz=UTC).events[0].kind_guess == kind


ZONES = [
    ("UTC", 0), ("Z", 0), ("GMT", 0), ("CET", 60), ("CEST", 120), ("EDT", -240), ("+02:00", 120), ("-0530", -330),
    ("UTC+2", 120), ("GMT-5", -300), ("CST", None), ("IST", None), ("+15:00", None),
]


@pytest.mark.parametrize("token, minutes", ZONES)
def test_zone_tokens(token, minutes):
    zone = parse_zone(token)
    if minutes is None:
        assert zone is None
    else:
        assert zone.utcoffset(None).total_seconds() == minutes * 60


@pytest.mark.parametrize("text, expected", [
    ("2024-03-01-db-outage", date(2024, 3, 1)),
    ("Outage on 1 March 2024", date(2024, 3, 1)),
    ("incident-20240301", date(2024, 3, 1)),
    ("pm2019-009-kubernetes", None),
    ("nothing here", None),
])
def test_find_date_in_titles_and_file_names(text, expected):
    assert find_date(text) == expected


def test_a_thousand_lines_parse_quickly():
    import time

    text = "\n".join(f"{h % 24:02d}:{m:02d} step {h}-{m}" for h in range(17) for m in range(0, 60))
    started = time.perf_counter()
    result = parse_timeline(text, default_date=DAY, tz=UTC)
    assert len(result.events) == 17 * 60
    assert time.perf_counter() - started < 1.0
