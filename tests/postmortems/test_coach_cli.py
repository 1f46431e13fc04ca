"""manage.py check_language: JSON lines per finding; exit 1 with findings, 0 without, 2 on bad input."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from postmortems.management.commands.check_language import kind_for_heading, split_sections

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = """---
title: Checkout outage
summary: Obviously a bad deploy
---
Bob broke the deploy.

## Timeline

- 02:14 On-call should have escalated.

## What happened

The health check failed to fire. The cache should have expired after 60 s.
We should
have rolled back.

## Action items

- [ ] Investigate the alerting
- [ ] Add an alert on lag above 30 s

## Lessons learned

We should have had a canary.
"""


def run(*args, stdin=None):
    """Call the command; return (exit status, JSON objects printed)."""
    out = io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        call_command("check_language", *args, stdout=out)
        status = 0
    except SystemExit as exc:
        status = exc.code
    finally:
        sys.stdin = old_stdin
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_findings_are_json_lines_with_line_column_and_rule(tmp_path):
    path = tmp_path / "outage.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    status, found = run(str(path))
    assert status == 1
    assert [(f["line"], f["column"], f["text"], f["rule"], f["section"]) for f in found] == [
        (5, 1, "Bob broke", "name-broke", "narrative"),
        (9, 9, "On-call should have", "should-have", "timeline"),
        (14, 1, "We should\nhave", "should-have", "narrative"),
        (19, 7, "Investigate", "vague-investigate", "action_item"),  # a task-list item
    ]
    first = found[0]
    assert set(first) == {"file", "line", "column", "text", "rule", "category", "message", "suggestion", "section"}
    assert first["file"] == str(path) and first["category"] == "person_as_cause"
    assert first["message"] and first["suggestion"]
    lines = DOCUMENT.splitlines()
    for f in found:
        assert lines[f["line"] - 1][f["column"] - 1:].startswith(f["text"].split("\n")[0])


def test_clean_text_exits_0_and_prints_nothing(tmp_path):
    path = tmp_path / "clean.md"
    path.write_text("The health check failed to fire.\n\nThe cache should have expired after 60 s.\n")
    assert run(str(path)) == (0, [])
    assert run(stdin="") == (0, [])


def test_standard_input_and_the_section_option(tmp_path):
    text = "We should have rolled back.\nInvestigate the retries."
    status, found = run(stdin=text)
    assert status == 1 and [f["rule"] for f in found] == ["should-have"]
    status, found = run("--section", "action_item", stdin=text)
    assert [f["rule"] for f in found] == ["vague-investigate"]
    assert run("--section", "lessons", stdin="We should have rolled back.") == (0, [])
    status, found = run("-", stdin="Kwabena broke it.")
    assert status == 0
    status, found = run("--name", "Kwabena", stdin="Kwabena broke it.")
    assert [f["text"] for f in found] == ["Kwabena broke"]


def test_several_files_each_named_in_their_findings(tmp_path):
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("It was careless.")
    two.write_text("Clean.\n\nIt was sloppy.")
    status, found = run(str(one), str(two))
    assert status == 1
    assert [(f["file"], f["line"], f["text"]) for f in found] == [(str(one), 1, "careless"), (str(two), 3, "sloppy")]


def test_bad_input_exits_2(tmp_path):
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    for args in ([str(tmp_path / "missing.md")], [str(binary)], [str(tmp_path)]):
        with pytest.raises(CommandError) as error:
            call_command("check_language", *args, stdout=io.StringIO())
        assert error.value.returncode == 2


def test_no_rules_is_bad_input_not_a_clean_bill():
    from postmortems.models import LanguageRule

    LanguageRule.objects.update(enabled=False)
    with pytest.raises(CommandError) as error:
        call_command("check_language", stdout=io.StringIO())
    assert error.value.returncode == 2 and "No language rules" in str(error.value)


@pytest.mark.parametrize(
    "heading, kind",
    [
        ("Summary", "summary"), ("Customer impact", "impact"), ("Timeline (UTC)", "timeline"),
        ("Contributing factors", "factor"), ("Action items", "action_item"), ("Follow-ups", "action_item"),
        ("Lessons learned", "lessons"), ("What we learned", "lessons"), ("Appendix: graphs", "supporting"),
        ("What happened", "narrative"), ("Detection", "narrative"),
    ],
)
def test_headings_choose_the_section_kind(heading, kind):
    assert kind_for_heading(heading) == kind


def test_sections_keep_their_offsets():
    text = "Intro.\n# Timeline\n02:00 x\n"
    sections = split_sections(text, "summary")
    assert sections == [(0, "summary", "Intro.\n"), (17, "timeline", "\n02:00 x\n")]


def test_exit_statuses_from_the_real_command_line(tmp_path):
    """The same exit statuses from a real process (on SQLite, with a freshly migrated database file)."""
    from django.db import connection

    env = {**os.environ, "DEBUG": "1"}
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, cwd=ROOT,
                       env={**env, "DATABASE_URL": url}, timeout=120)
    else:
        settings = connection.settings_dict
        url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/" \
              f"{settings['NAME']}"
    env["DATABASE_URL"] = url
    command = [sys.executable, str(ROOT / "manage.py"), "check_language"]

    def status(*args, stdin=""):
        result = subprocess.run(command + list(args), input=stdin, capture_output=True, text=True, env=env,
                                cwd=ROOT, timeout=60)
        return result.returncode, result.stdout

    code, out = status(stdin="It was careless.")
    assert code == 1 and json.loads(out)["rule"] == "careless"
    assert status(stdin="The health check failed to fire.") == (0, "")
    assert status(str(tmp_path / "missing.md"))[0] == 2
    assert status("--section", "poem")[0] == 2
