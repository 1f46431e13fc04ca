"""Hostile files for import_markdown: each is refused quickly as that file's failure, and the batch goes on."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from postmortems.interchange.document import MAX_FILE_BYTES, BadFile, read_document
from postmortems.models import PostMortem

pytestmark = pytest.mark.django_db

ALIAS_BOMB = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
title: *i
---
# Billion laughs
"""


def batch(tmp_path, name, content):
    """Import a folder holding a good file on each side of `content`; return the report and how long it took."""
    (tmp_path / "a-good-one.md").write_text("# A good one\n\n## Summary\n\nFine.\n", encoding="utf-8")
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    (tmp_path / "z-good-one.md").write_text("# Another good one\n", encoding="utf-8")
    out = StringIO()
    started = time.perf_counter()
    with pytest.raises(CommandError, match=r"1 file\(s\) failed"):
        call_command("import_markdown", str(tmp_path), stdout=out, stderr=StringIO())
    elapsed = time.perf_counter() - started
    assert "3 file(s): 1 failed, 2 imported." in out.getvalue()
    assert sorted(PostMortem.objects.values_list("title", flat=True)) == ["A good one", "Another good one"]
    return out.getvalue(), elapsed


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    out, elapsed = batch(tmp_path, "bomb.md", ALIAS_BOMB)
    assert "bomb.md: front matter is not valid YAML (anchors (&name) are not allowed (line 2))" in out
    assert elapsed < 5


def test_an_alias_without_its_anchor_being_refused_first_is_refused_too():
    with pytest.raises(BadFile, match=r"aliases \(\*name\) are not allowed"):
        read_document(b"---\ntitle: *nothing\n---\n# T\n")


def test_thousands_of_nested_brackets_in_the_title_are_refused(tmp_path):
    out, _ = batch(tmp_path, "brackets.md", "---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n# Brackets\n")
    assert "brackets.md: front matter is not valid YAML (values nest deeper than 10 levels" in out


def test_ordinary_nesting_in_front_matter_still_reads():
    doc = read_document(b"---\ntitle: Fine\ntags: [a, b]\nextra: {people: [{name: x, roles: [a]}]}\n---\n# T\n")
    assert doc.title == "Fine" and doc.front_matter["tags"] == ["a", "b"]


def test_a_file_over_two_megabytes_is_refused_without_reading_it_all(tmp_path):
    content = b"# Huge\n\n" + b"All work and no play. " * (30 * 1024 * 1024 // 22)
    out, elapsed = batch(tmp_path, "huge.md", content)
    assert "huge.md: too large (30.0 MB; files up to 2.0 MB are imported)" in out
    assert elapsed < 10


def test_read_document_refuses_more_than_two_megabytes():
    with pytest.raises(BadFile, match=r"too large"):
        read_document(b"# T\n" + b"x" * MAX_FILE_BYTES)
    assert read_document(b"# T\n" + b"x" * (MAX_FILE_BYTES - 10)).title == "T"


def test_a_nul_character_is_refused(tmp_path):
    out, _ = batch(tmp_path, "binary.md", b"# Looks like text\n\x00\x01\x02")
    assert "binary.md: holds a NUL character at position 18 (is it a binary file?)" in out


def test_a_date_that_cannot_be_stored_fails_that_file_alone(tmp_path):
    content = "---\ntime_zone: Asia/Tokyo\nstarted: 0001-01-01 00:00\n---\n# Ancient\n\n## Timeline\n\n- 00:05 Paged\n"
    out, _ = batch(tmp_path, "ancient.md", content)
    line = next(line for line in out.splitlines() if "ancient.md" in line)
    assert line.startswith("failed") and "out of range" in line, line
    assert "1 failed, 2 imported" in out


def test_an_overlong_tag_is_left_out_with_a_note(tmp_path):
    (tmp_path / "tags.md").write_text(f"---\ntags: [cache, {'t' * 5000}]\n---\n# Tagged\n", encoding="utf-8")
    out = StringIO()
    call_command("import_markdown", str(tmp_path), stdout=out, stderr=StringIO())
    assert "is longer than 50 characters; left out" in out.getvalue()
    assert list(PostMortem.objects.get().tags.names()) == ["cache"]
