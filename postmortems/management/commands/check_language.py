"""Lint post-mortems written in Markdown with the blameless coach.

    manage.py check_language incident.md other.md     # files
    cat incident.md | manage.py check_language        # standard input
    manage.py check_language --section action_item todo.md

One JSON object per finding on standard output (file, line, column, text, rule, category,
message, suggestion, section), then the exit status: 1 when there are findings, 0 when there are
none, 2 when the input cannot be read. Headings choose the section kind ("## Timeline",
"## Action items", "## Lessons learned"...); text before the first heading, or in a file without
headings, is checked as --section (narrative by default). Front matter is skipped.
"""

import bisect
import json
import re
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from postmortems.coach import checks
from postmortems.coach.engine import KINDS
from postmortems.interchange.reader import read_outline

FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
HEADING_KINDS = [
    (re.compile(r"summary|overview|tl;?dr", re.I), "summary"),
    (re.compile(r"impact", re.I), "impact"),
    (re.compile(r"timeline", re.I), "timeline"),
    (re.compile(r"contributing|factors?\b|causes?\b", re.I), "factor"),
    (re.compile(r"action items?|follow[- ]?ups?|next steps|remediation|to ?dos?", re.I), "action_item"),
    (re.compile(r"lessons?|learn|takeaways?", re.I), "lessons"),
    (re.compile(r"supporting|appendix|references|links", re.I), "supporting"),
]


def kind_for_heading(heading: str) -> str:
    for pattern, kind in HEADING_KINDS:
        if pattern.search(heading):
            return kind
    return "narrative"


def split_sections(markdown: str, default_kind: str) -> list[tuple[int, str, str]]:
    """Return (offset, kind, text) for each part of `markdown` between headings.

    Headings are found by the shared Markdown reader (cmark-gfm): ATX and setext, never a `#` line
    inside fenced code.
    """
    start = 0
    front = FRONT_MATTER_RE.match(markdown)
    if front:
        start = front.end()
    body = markdown[start:]
    line_starts = [0] + [m.end() for m in re.finditer("\n", body)]
    parts, kind, position = [], default_kind, 0
    for heading in read_outline(body).headings:
        heading_start = line_starts[heading.start - 1]
        # The part starts at the end of the heading's last line (its newline belongs to the part).
        heading_end = line_starts[heading.end] - 1 if heading.end < len(line_starts) else len(body)
        parts.append((start + position, kind, body[position:heading_start]))
        kind = kind_for_heading(heading.text)
        position = heading_end
    parts.append((start + position, kind, body[position:]))
    return [part for part in parts if part[2].strip()]


class Command(BaseCommand):
    help = "Check Markdown post-mortems for blaming and hindsight language; one JSON line per finding."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="Markdown files (standard input when none, or -).")
        parser.add_argument(
            "--section",
            choices=KINDS,
            default="narrative",
            metavar="KIND",
            help=f"Section kind for text without headings: {', '.join(KINDS)} (default narrative).",
        )
        parser.add_argument(
            "--name", action="append", default=[], metavar="NAME",
            help="A person's name to treat as a name (repeatable); Hindsight users' names are always used.",
        )

    def handle(self, *args, files, section, name, **options):
        try:
            rules = checks.load_rules()
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the language rules ({exc}); run manage.py migrate first.",
                               returncode=2) from None
        if not rules:
            raise CommandError("No language rules are enabled; run manage.py migrate, or enable rules in the admin.",
                               returncode=2)
        documents = [(path, self.read(path)) for path in (files or ["-"])]
        names = checks.user_names_in(markdown for _, markdown in documents) | set(name)
        count = 0
        for path, markdown in documents:
            for finding in self.check_document(path, markdown, section, names):
                self.stdout.write(json.dumps(finding, ensure_ascii=False))
                count += 1
        if count:
            sys.exit(1)

    def read(self, path: str) -> str:
        try:
            if path == "-":
                data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
            else:
                with open(path, "rb") as f:
                    data = f.read()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}", returncode=2) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text.", returncode=2) from None
        if "\x00" in text:
            raise CommandError(f"{path}: binary data, not Markdown.", returncode=2)
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def check_document(self, path: str, markdown: str, section: str, names) -> list[dict]:
        sections = split_sections(markdown, section)
        texts = [(str(i), kind, text) for i, (_, kind, text) in enumerate(sections)]
        line_starts = [0] + [m.end() for m in re.finditer("\n", markdown)]
        results = []
        for finding in checks.check_writing(texts, names=names):
            offset, kind, _ = sections[int(finding.location)]
            position = offset + finding.start
            line = bisect.bisect_right(line_starts, position) - 1
            results.append(
                {
                    "file": path,
                    "line": line + 1,
                    "column": position - line_starts[line] + 1,
                    "text": finding.text,
                    "rule": finding.rule_slug,
                    "category": finding.category,
                    "message": finding.message,
                    "suggestion": finding.suggestion,
                    "section": kind,
                }
            )
        return sorted(results, key=lambda r: (r["line"], r["column"], r["rule"]))
