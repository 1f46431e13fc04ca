"""manage.py import_markdown: what a file becomes, re-imports, bad files, options."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from postmortems.interchange.document import BadFile, parse_duration, read_document
from postmortems.models import (
    ActionItem,
    ActionStatus,
    PostMortem,
    Priority,
    Revision,
    Section,
    SectionKind,
    Severity,
    Status,
    Team,
)
from postmortems.services import postmortem_record_change

pytestmark = pytest.mark.django_db

FULL = """---
title: Checkout outage after the cache change
slug: checkout-cache
severity: SEV2
status: published
date: 2024-03-01
tags: [cache, checkout]
teams: [payments, Web Platform]
authors: [arthur, nobody-here]
---

# Title in the text, overridden by the front matter

## Summary

Checkout failed for 40 minutes after a cache change. ![graph](https://grafana.example.com/g.png)

## Timeline

- **14:05 UTC** - Deploy of the cache change started
- 14:12 Alert fired for checkout errors
- 14:20 Escalated to the payments on-call
- 14:31 Rolled back the cache change
- 14:45 Incident resolved
- at some point the status page was updated

## A heading no template knows

Kept as its own section, with a [link](https://example.com/runbook).

### A sub-heading stays inside

Still the same section.

## Root causes

- **Change**: The cache TTL change shipped without a canary.
- Alerting on checkout errors had no paging threshold.

Some prose about causes stays as text.

## Action items

- [x] Add a canary stage for cache changes
- [ ] Page on checkout error rate (owner: @arthur, due: 2024-04-01, status: in progress, priority: high, kind: detect)
- [ ] **Write the cache runbook**: covering TTL changes
- Drop the legacy cache (won't do)

| Action | Owner | Due | Status |
| --- | --- | --- | --- |
| Review TTL defaults | arthur | 2024-05-01 | Done |

## Stats

- Time to detection: 7 minutes
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding)
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_markdown", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def full(tmp_path, author, team):
    return write(tmp_path, "2024-03-01-checkout.md", FULL)


def test_everything_a_file_says_becomes_the_post_mortem(full):
    out, _ = run(full)
    assert "imported" in out and "→ checkout-cache" in out
    assert "note: no user 'nobody-here'; not added as an author" in out
    pm = PostMortem.objects.get()
    assert pm.title == "Checkout outage after the cache change"
    assert pm.slug == "checkout-cache"
    assert pm.severity == Severity.SEV2
    assert pm.status == Status.PUBLISHED and pm.published_at is not None
    assert not pm.restricted
    assert sorted(pm.tags.names()) == ["cache", "checkout"]
    assert sorted(t.slug for t in pm.teams.all()) == ["payments", "web-platform"]
    assert Team.objects.get(slug="web-platform").name == "Web Platform"
    assert [u.username for u in pm.authors.all()] == ["arthur"]
    assert [s.heading for s in pm.sections.all()] == [
        "Summary", "Timeline", "A heading no template knows", "Root causes", "Stats",
    ]
    assert pm.summary.startswith("Checkout failed for 40 minutes")
    summary = pm.sections.get(heading="Summary")
    assert summary.kind == SectionKind.SUMMARY and summary.required and summary.guidance  # from Standard
    unknown = pm.sections.get(heading="A heading no template knows")
    assert unknown.kind == SectionKind.NARRATIVE and not unknown.required
    assert "[link](https://example.com/runbook)" in unknown.body
    assert "### A sub-heading stays inside\n\nStill the same section." in unknown.body
    assert "![graph](https://grafana.example.com/g.png)" in summary.body


def test_timeline_bullets_take_the_front_matter_date(full):
    run(full)
    pm = PostMortem.objects.get()
    events = [(e.occurred_at, e.kind, e.description) for e in pm.timeline_events.all()]
    assert events == [
        (datetime(2024, 3, 1, 14, 5, tzinfo=UTC), "action", "Deploy of the cache change started"),
        (datetime(2024, 3, 1, 14, 12, tzinfo=UTC), "detection", "Alert fired for checkout errors"),
        (datetime(2024, 3, 1, 14, 20, tzinfo=UTC), "escalation", "Escalated to the payments on-call"),
        (datetime(2024, 3, 1, 14, 31, tzinfo=UTC), "mitigation", "Rolled back the cache change"),
        (datetime(2024, 3, 1, 14, 45, tzinfo=UTC), "resolution", "Incident resolved"),
    ]
    assert pm.sections.get(heading="Timeline").body == "- at some point the status page was updated"
    assert pm.started_at == datetime(2024, 3, 1, 14, 5, tzinfo=UTC)  # the first event on the front matter date
    assert pm.detected_at == datetime(2024, 3, 1, 14, 12, tzinfo=UTC)  # "Time to detection: 7 minutes"
    assert pm.mitigated_at == datetime(2024, 3, 1, 14, 31, tzinfo=UTC)  # the first mitigation event
    assert pm.resolved_at == datetime(2024, 3, 1, 14, 45, tzinfo=UTC)  # the last resolution event


def test_factors_with_named_and_guessed_categories(full):
    run(full)
    pm = PostMortem.objects.get()
    assert [(f.category.slug, f.description) for f in pm.factors.all()] == [
        ("change", "The cache TTL change shipped without a canary."),
        ("detection", "Alerting on checkout errors had no paging threshold."),
    ]
    assert pm.sections.get(heading="Root causes").body == "Some prose about causes stays as text."


def test_action_items_from_checkboxes_bullets_and_tables(full, author):
    run(full)
    items = {a.title: a for a in PostMortem.objects.get().action_items.all()}
    assert set(items) == {
        "Add a canary stage for cache changes", "Page on checkout error rate", "Write the cache runbook",
        "Drop the legacy cache", "Review TTL defaults",
    }
    assert items["Add a canary stage for cache changes"].status == ActionStatus.DONE
    page = items["Page on checkout error rate"]
    assert (page.owner, page.due_date, page.status, page.priority, page.kind) == (
        author, date(2024, 4, 1), ActionStatus.IN_PROGRESS, Priority.HIGH, "detect")
    assert items["Write the cache runbook"].description == "covering TTL changes"
    dropped = items["Drop the legacy cache"]
    assert dropped.status == ActionStatus.WONT_DO and dropped.wont_do_reason
    review = items["Review TTL defaults"]
    assert (review.owner, review.due_date, review.status) == (author, date(2024, 5, 1), ActionStatus.DONE)
    assert PostMortem.objects.get().sections.filter(heading="Action items").exists() is False


def test_plain_file_without_front_matter(tmp_path):
    path = write(tmp_path, "notes/db-failover-20240115.md", (
        "# Database failover\n\nIntro paragraph is the summary.\n\n## Timeline\n\n"
        "- 23:50 Replica lag alert\n- 00:20 Failed over to the standby\n\n# Stats\n\n- Severity: SEV1\n"
        "- Category: Databases\n- Time to recovery: 1h 30m\n"
    ))
    run(tmp_path)
    pm = PostMortem.objects.get()
    assert pm.title == "Database failover"
    assert pm.summary == "Intro paragraph is the summary."
    assert pm.status == Status.DRAFT and pm.severity == Severity.SEV1
    assert list(pm.tags.names()) == ["databases"]
    # the date comes from the file name; 00:20 after 23:50 is the next day
    assert [e.occurred_at for e in pm.timeline_events.all()] == [
        datetime(2024, 1, 15, 23, 50, tzinfo=UTC), datetime(2024, 1, 16, 0, 20, tzinfo=UTC)]
    assert pm.resolved_at == datetime(2024, 1, 16, 1, 20, tzinfo=UTC)
    assert [s.heading for s in pm.sections.all()] == ["Stats"]  # the second `#` heading is a section
    assert pm.source_path == str(path.resolve())


def test_second_import_of_an_unchanged_file_is_skipped(full):
    run(full)
    version = PostMortem.objects.get().version
    out, _ = run(full)
    assert f"skipped (unchanged) {full}" in out
    assert PostMortem.objects.count() == 1
    assert PostMortem.objects.get().version == version
    assert Revision.objects.count() == 1


@pytest.fixture
def draft_file(tmp_path, author, team):
    return write(tmp_path, "2024-03-01-checkout.md", FULL.replace("status: published", "status: draft"))


def test_changed_file_updates_the_same_post_mortem_with_a_revision(draft_file, monkeypatch):
    full = draft_file
    run(full)
    pm = PostMortem.objects.get()
    section_ids = {s.heading: s.pk for s in pm.sections.all()}
    item_id = pm.action_items.get(title="Write the cache runbook").pk
    indexed = []
    monkeypatch.setattr("knowledge.search.index_postmortem", lambda p: indexed.append(p.pk))
    full.write_text(FULL.replace("Checkout failed for 40 minutes", "Checkout failed for 45 minutes")
                    .replace("- 14:45 Incident resolved", "- 14:50 Incident resolved")
                    .replace("status: published", "status: draft"), encoding="utf-8")
    out, _ = run(full)
    assert "updated" in out
    pm = PostMortem.objects.get()
    assert pm.version == 2
    assert pm.summary.startswith("Checkout failed for 45 minutes")
    assert pm.resolved_at == datetime(2024, 3, 1, 14, 50, tzinfo=UTC)
    assert pm.timeline_events.count() == 5
    assert list(Revision.objects.filter(postmortem=pm).values_list("action", flat=True)) == [
        "imported (updated)", "imported"]
    assert indexed == [pm.pk]  # the search index was updated in the same change
    # sections and action items are updated in place, so links to them keep working
    assert {s.heading: s.pk for s in pm.sections.all()} == section_ids
    assert pm.action_items.get(title="Write the cache runbook").pk == item_id


def test_file_edited_in_hindsight_since_import_is_not_overwritten_unless_asked(draft_file, author):
    full = draft_file
    run(full)
    pm = PostMortem.objects.get()
    pm.summary = "Edited in the browser"
    pm.save()
    postmortem_record_change(postmortem=pm, user=author)
    full.write_text(FULL.replace("40 minutes", "41 minutes").replace("status: published", "status: draft"),
                    encoding="utf-8")
    out, _ = run(full)
    assert "skipped" in out and "changed in Hindsight since it was imported (edited)" in out
    assert PostMortem.objects.get().summary == "Edited in the browser"
    out, _ = run(full, "--overwrite")
    assert "updated" in out
    assert PostMortem.objects.get().summary.startswith("Checkout failed for 41 minutes")


@pytest.mark.parametrize("name, content, reason", [
    ("latin1.md", "# Café\n\nsummary".encode("latin-1"), "not UTF-8 (byte 0xe9"),
    ("empty.md", b"  \n\n", "empty file"),
    ("bad-yaml.md", b"---\ntitle: [unclosed\n---\n# T\n", "front matter is not valid YAML"),
    ("list-yaml.md", b"---\n- a\n- b\n---\n# T\n", "front matter is not a mapping"),
])
def test_a_bad_file_is_reported_and_the_batch_goes_on(tmp_path, name, content, reason):
    write(tmp_path, "a-good-one.md", "# A good one\n\n## Summary\n\nFine.")
    write(tmp_path, name, content)
    write(tmp_path, "z-good-one.md", "# Another good one\n")
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) failed"):
        call_command("import_markdown", str(tmp_path), stdout=out, stderr=StringIO())
    assert f"failed     {tmp_path / name}: {reason}" in out.getvalue()
    assert "3 file(s): 1 failed, 2 imported." in out.getvalue()
    assert sorted(PostMortem.objects.values_list("title", flat=True)) == ["A good one", "Another good one"]


def test_bad_file_report_line(tmp_path):
    bad = write(tmp_path, "empty.md", "")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_markdown", str(bad), stdout=out, stderr=StringIO())
    assert f"failed     {bad}: empty file" in out.getvalue()


def test_missing_path_fails(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path / "nope.md")


def test_dry_run_writes_nothing(full):
    out, _ = run(full, "--dry-run")
    assert "would be imported" in out and "Dry run, nothing written." in out
    assert "5 timeline events, 2 factors, 5 action items" in out
    assert PostMortem.objects.count() == 0 and Team.objects.filter(slug="web-platform").count() == 0


def test_restricted_only_when_asked(tmp_path):
    write(tmp_path, "a.md", "# Plain one\n")
    write(tmp_path, "b.md", "---\nrestricted: true\n---\n# Marked restricted\n")
    run(tmp_path)
    assert dict(PostMortem.objects.values_list("title", "restricted")) == {
        "Plain one": False, "Marked restricted": True}
    write(tmp_path, "c.md", "# Asked for\n")
    run(tmp_path / "c.md", "--restricted")
    assert PostMortem.objects.get(title="Asked for").restricted


def test_team_and_template_options(tmp_path, team):
    write(tmp_path, "a.md", "# Small one\n\n## Summary\n\nx\n\n## What we learned\n\ny")
    run(tmp_path, "--team", "payments", "--template", "lightweight", "--status", "published")
    pm = PostMortem.objects.get()
    assert list(pm.teams.all()) == [team]
    assert pm.template.slug == "lightweight" and pm.status == Status.PUBLISHED
    assert pm.sections.get(heading="What we learned").kind == SectionKind.LESSONS


@pytest.mark.parametrize("args, message", [
    (["--team", "nope"], "No team with the slug 'nope'"),
    (["--template", "nope"], "No template 'nope'"),
    (["--time-zone", "Mars/Base"], "Unknown time zone"),
])
def test_bad_options_are_refused(tmp_path, args, message):
    write(tmp_path, "a.md", "# One\n")
    with pytest.raises(CommandError, match=message):
        run(tmp_path, *args)
    assert PostMortem.objects.count() == 0


def test_progress_bar_on_request_only(tmp_path):
    for n in range(3):
        write(tmp_path, f"{n}.md", f"# Incident {n}\n")
    _, err = run(tmp_path)
    assert err == ""  # not a terminal, not asked
    _, err = run(tmp_path, "--progress")
    assert "] 3/3 files" in err and "[" + "#" * 30 + "]" in err


def test_time_zone_option_reads_plain_times(tmp_path):
    write(tmp_path, "a.md", "---\ndate: 2024-07-01\n---\n# One\n\n## Timeline\n\n- 14:05 Pager fired\n")
    run(tmp_path, "--time-zone", "Europe/Oslo")
    assert PostMortem.objects.get().timeline_events.get().occurred_at == datetime(2024, 7, 1, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize("text, minutes", [
    ("5 minutes", 5), ("84 minutes", 84), ("11 Days", 11 * 24 * 60), ("7 hours", 420),
    ("54 hours 10 minutes", 54 * 60 + 10), ("1h 30m", 90), ("0:45", 45), ("?", None), ("N/A", None),
])
def test_durations(text, minutes):
    duration = parse_duration(text)
    assert (duration.total_seconds() / 60 if duration is not None else None) == minutes


def test_read_document_raises_bad_file_without_a_title():
    with pytest.raises(BadFile):
        read_document(b"no title here")


def test_long_bullet_becomes_a_short_title_with_the_full_text_kept():
    text = "# T\n\n## Action items\n\n- " + "word " * 60
    item = read_document(text.encode()).action_items[0]
    assert len(item.title) <= 200 and item.title.endswith("…")
    assert item.description == ("word " * 60).strip()


def test_action_item_imported_done_has_a_completion_time(full):
    run(full)
    assert ActionItem.objects.get(title="Add a canary stage for cache changes").completed_at is not None


def test_a_file_that_fails_to_save_rolls_back_alone(tmp_path, monkeypatch):
    from django.db import IntegrityError

    from postmortems.interchange import importer

    for name in ("a", "b", "c"):
        write(tmp_path, f"{name}.md", f"# Incident {name}\n\n## Summary\n\nText {name}.")
    real = importer._save_parts

    def failing(postmortem, doc, *args, **kwargs):
        real(postmortem, doc, *args, **kwargs)
        if doc.title == "Incident b":
            raise IntegrityError("simulated")

    monkeypatch.setattr(importer, "_save_parts", failing)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_markdown", str(tmp_path), stdout=out, stderr=StringIO())
    assert "could not be saved (IntegrityError: simulated)" in out.getvalue()
    assert sorted(PostMortem.objects.values_list("title", flat=True)) == ["Incident a", "Incident c"]
    assert not Section.objects.filter(body="Text b.").exists()


def test_overwriting_a_published_post_mortem_makes_an_amendment_for_review(full, author, facilitator):
    from postmortems import services
    from postmortems.models import Amendment, AmendmentStatus

    run(full)
    pm = PostMortem.objects.get()
    assert pm.status == Status.PUBLISHED
    section_ids = {s.heading: s.pk for s in pm.sections.all()}
    pm.summary = "Edited in the browser"
    pm.save()
    postmortem_record_change(postmortem=pm, user=author)
    full.write_text(FULL.replace("40 minutes", "41 minutes").replace("- 14:45 Incident resolved",
                                                                     "- 14:46 Incident resolved"), encoding="utf-8")
    out, _ = run(full)
    assert "skipped" in out and not Amendment.objects.exists()
    out, _ = run(full, "--dry-run", "--overwrite")
    assert "would be amended" in out and not Amendment.objects.exists()

    out, _ = run(full, "--overwrite")
    assert f"amended    {full}" in out and "the file's changes wait for review in an amendment" in out
    pm.refresh_from_db()
    assert pm.summary == "Edited in the browser"  # readers keep the published text
    amendment = Amendment.objects.get()
    assert amendment.status == AmendmentStatus.IN_REVIEW
    assert amendment.document["summary"].startswith("Checkout failed for 41 minutes")
    assert {s["heading"]: s["id"] for s in amendment.document["sections"]} == section_ids
    assert Revision.objects.filter(amendment=amendment).get().snapshot["status"] == "in_review"

    out, _ = run(full, "--overwrite")  # the same file again changes nothing
    assert "skipped" in out and "its amendment already says what the file says" in out

    services.amendment_publish(postmortem=pm, user=facilitator)
    pm.refresh_from_db()
    assert pm.summary.startswith("Checkout failed for 41 minutes")
    assert pm.resolved_at == datetime(2024, 3, 1, 14, 46, tzinfo=UTC)
    assert {s.heading: s.pk for s in pm.sections.all()} == section_ids


def test_a_file_without_a_title_heading_takes_its_title_from_the_file_name(tmp_path):
    write(tmp_path, "2023-11-03-no-heading.md", "Just some text\n\n## Section\n\nbody")
    run(tmp_path)
    pm = PostMortem.objects.get()
    assert pm.title == "No heading"
    assert pm.summary == "Just some text"


def test_action_items_keep_the_day_they_were_closed(tmp_path, author, team):
    path = write(tmp_path, "closed.md", """---
title: Closed items
started: 2024-03-01 10:00
---
## Action items

- **Add a canary stage** (owner: author, due: 2024-03-20, status: done, completed: 2024-03-12)
  Tracker: https://tracker.example.com/OPS-1
- **Second provider** (status: won't do, completed: 2024-03-15)
  Won't do: Costs more than the outages it would prevent.
- **Still open** (status: open, completed: 2024-03-15)
- **Closed some day** (status: done)
""")
    run(path)
    items = {item.title: item for item in PostMortem.objects.get().action_items.all()}
    assert items["Add a canary stage"].completed_at.date() == date(2024, 3, 12)
    assert items["Add a canary stage"].tracker_url == "https://tracker.example.com/OPS-1"
    assert items["Second provider"].completed_at.date() == date(2024, 3, 15)
    assert items["Second provider"].wont_do_reason == "Costs more than the outages it would prevent."
    assert items["Still open"].completed_at is None
    assert items["Closed some day"].completed_at.date() == datetime.now(UTC).date()
