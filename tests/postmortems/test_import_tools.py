"""manage.py import_slack and import_pagerduty: chat and paging history into a post-mortem's timeline."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from postmortems.models import Revision, Status, TimelineEvent

TOOLS = Path(__file__).resolve().parent.parent / "data" / "import_corpus" / "tools"
PAGES = [str(TOOLS / f"pagerduty-log-entries-Q3TW4K8ZR2MV0C-page-{n}.json") for n in (1, 2)]
WINDOW = ["--channel", "incident-2024-03-04", "--from", "2024-03-04T13:55Z", "--to", "2024-03-04T16:10Z"]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def draft(make_postmortem, author):
    return make_postmortem(title="Checkout errors", authors=[author])


@pytest.mark.parametrize("export", ["slack-export.zip", "slack-export"])
def test_import_slack_adds_the_window_as_events_with_placeholders(draft, author, export):
    out = run("import_slack", str(TOOLS / export), *WINDOW, "--into", draft.slug, "--user", author.username)
    events = list(TimelineEvent.objects.filter(postmortem=draft))
    assert len(events) == 38
    assert events[0].occurred_at == datetime(2024, 3, 4, 14, 6, 58, tzinfo=UTC)
    assert events[0].description.startswith("Responder A: @here checkout 5xx")
    assert not any("Priya" in e.description or "Dana" in e.description for e in events)
    assert "added 38 event(s)" in out and "Responder A = Dana Okafor" in out
    assert "5 join/leave or empty message(s) left out" in out
    assert Revision.objects.filter(postmortem=draft, action="added a timeline from Slack").count() == 1


def test_import_slack_again_adds_nothing(draft):
    run("import_slack", str(TOOLS / "slack-export.zip"), *WINDOW, "--into", draft.slug)
    out = run("import_slack", str(TOOLS / "slack-export.zip"), *WINDOW, "--into", draft.slug)
    assert "added 0 event(s), 38 already there" in out
    assert TimelineEvent.objects.filter(postmortem=draft).count() == 38


def test_import_slack_dry_run_writes_nothing(draft):
    out = run("import_slack", str(TOOLS / "slack-export.zip"), *WINDOW, "--into", draft.slug, "--dry-run")
    assert "Dry run, nothing written." in out and "would add 38 event(s)" in out
    assert not TimelineEvent.objects.exists()
    assert not Revision.objects.filter(postmortem=draft).exists()


@pytest.mark.parametrize("args, message", [
    (["--channel", "nope"], "no channel #nope"),
    (["--channel", "incident-2024-03-04", "--from", "yesterday"], "is not a date-time"),
    (["--channel", "incident-2024-03-04", "--from", "2024-03-05", "--to", "2024-03-04"], "--to is before --from"),
])
def test_import_slack_bad_arguments(draft, args, message):
    with pytest.raises(CommandError, match=message):
        run("import_slack", str(TOOLS / "slack-export.zip"), *args, "--into", draft.slug)


def test_import_slack_refuses_a_file_that_is_not_an_export(draft, tmp_path):
    bad = tmp_path / "export.zip"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(CommandError, match="not a zip file"):
        run("import_slack", str(bad), "--channel", "x", "--into", draft.slug)


def test_import_pagerduty_fills_the_timeline_and_the_incident_times(draft):
    out = run("import_pagerduty", *PAGES, "--into", draft.slug)
    draft.refresh_from_db()
    events = list(TimelineEvent.objects.filter(postmortem=draft))
    assert len(events) == 14
    assert [e.kind for e in events[:2]] == ["detection", "action"]
    assert events[-1].kind == "resolution"
    assert draft.started_at == draft.detected_at == datetime(2024, 3, 4, 14, 2, 11, tzinfo=UTC)
    assert draft.resolved_at == datetime(2024, 3, 4, 15, 58, 40, tzinfo=UTC)
    assert "Escalated to Responder" in " ".join(e.description for e in events)
    assert "7 assignment and notification entries left out" in out


def test_import_pagerduty_keeps_times_the_author_set(make_postmortem):
    started = datetime(2024, 3, 4, 13, 40, tzinfo=UTC)
    pm = make_postmortem(title="Set by hand", started_at=started)
    run("import_pagerduty", *PAGES, "--into", pm.slug)
    pm.refresh_from_db()
    assert pm.started_at == started
    assert pm.detected_at == datetime(2024, 3, 4, 14, 2, 11, tzinfo=UTC)


def test_import_pagerduty_into_a_published_post_mortem_waits_in_an_amendment(make_postmortem):
    pm = make_postmortem(title="Published", status=Status.PUBLISHED)
    run("import_pagerduty", *PAGES, "--into", pm.slug)
    assert not TimelineEvent.objects.filter(postmortem=pm).exists()
    assert len(pm.amendments.get().document["timeline"]) == 14


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b'{"incident": {}}', "no log_entries"),
    (b"\x00\xff", "not valid JSON"),
])
def test_import_pagerduty_bad_files(draft, tmp_path, content, message):
    bad = tmp_path / "entries.json"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_pagerduty", str(bad), "--into", draft.slug)


def test_unknown_post_mortem(db):
    with pytest.raises(CommandError, match="No post-mortem with the slug"):
        run("import_pagerduty", *PAGES, "--into", "nope")
