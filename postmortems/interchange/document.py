"""Reading one Markdown post-mortem into a `Document` (`read_document`): no database writes.

The importer (importer.py) saves what this reads, through the services; keeping the two apart is
what lets `--dry-run` report exactly what a real import would do. Over 500 lines on purpose: the
parts of one file format (front matter, sections, timeline, factors, action items, stated times)
are read together and settle each other (a stated zone, a date in the title, the timeline's day).

How a file is read:
- Optional YAML front matter (title, slug, summary, date/started, detected, mitigated, resolved,
  severity, status, tags, teams, authors, facilitator, restricted, template, time_zone) wins over
  what the text says.
- The first `#` heading is the title; the text before the first section is the summary (else the
  first paragraph of a "Summary"/"Overview" section). Every `##` heading, and any later `#`
  heading, starts a section, in order; `###` and deeper stay inside their section.
- Timeline sections (Timeline, Chronology, Sequence of events …) go through the paste parser;
  time-only lines take their date from the front matter, the title or the file name. Contributing
  factor / root cause / cause bullets become contributing factors, with a category read from a
  leading `**Category**:` or guessed from the words. Action item / follow-up bullets, checkboxes
  (`- [x]` is done) and tables become action items with their status. A bullet may end with
  `(owner: amara, due: 2026-03-01, status: done, priority: high, kind: detect, completed: 2026-02-20)`
  (any of these, `owner`/`due`/`status`/`priority`/`kind` first) and continue with `Tracker: <url>`
  and `Won't do: <reason>` lines, then its description. Whatever is not turned into
  structure stays as the section's text.
- "Time to detection: 5 minutes" style lines fill the incident times from its start ("recovery" and
  "resolution" fill the resolved time); "Category: Kubernetes" becomes a tag and "Severity: SEV2"
  the severity, unless the front matter says otherwise. Times still missing are taken from the
  timeline: the first event starts the incident, the first detection and mitigation events and the
  last resolution event fill the rest.
- Reference-style links (`[text][ref]` with `[ref]: url` elsewhere) are written inline, so each
  section keeps working links after the file is split up.
"""

import re
import textwrap
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from postmortems.interchange.reader import (
    GENERIC_HEADING,
    ReadError,
    read_outline,
    split_front_matter,
    split_sections,
    title_from_filename,
)
from postmortems.interchange.timeline import (
    ParsedEvent,
    cell_text,
    find_date,
    numeric_date_order,
    parse_timeline,
    split_row,
    stated_zone,
    zone_of_lines,
)
from postmortems.models import (
    ActionKind,
    ActionStatus,
    FactorCategory,
    Priority,
    Severity,
    Status,
)
from postmortems.weblinks import removed_link_note, validate_web_url

# Hostile files: the largest write-up in the DFDS archive is 14 KB, so 2 MB is room for any real one.
MAX_FILE_BYTES = 2 * 1024 * 1024

TIMELINE_HEADING = re.compile(r"\btimelines?\b|\bchronolog|\bsequence of events\b|\border of events\b", re.I)
FACTORS_HEADING = re.compile(
    r"\b(?:contributing|causal)\s+(?:factors?|causes?)\b|\broot[- ]?causes?\b|^(?:causes?|factors)$|"
    r"^why (?:it|this) happened$",
    re.I,
)
ACTIONS_HEADING = re.compile(
    r"\baction[- ]items?\b|\bfollow[- ]?ups?\b|\bcorrective (?:actions?|and prevent\w* measures)\b|"
    r"\bpreventa?tive (?:actions?|measures)\b|"
    r"^remediation(?: (?:items|actions))?$|^next steps$|^to-?dos?$|^actions$",
    re.I,
)
SUMMARY_HEADING = re.compile(r"^(?:summary|executive summary|overview|tl;?dr)$", re.I)
INCIDENT_SUMMARY_HEADING = re.compile(r"^(?:(?:issue|incident|executive) )?(?:summary|overview|tl;?dr)$", re.I)
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
LIST_ITEM_RE = re.compile(r"^( {0,3})(?:[-*+]|\d{1,3}[.)])[ \t]+(.*)$")
REFERENCE_DEF_RE = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t]+[\"'(].*[\"')])?[ \t]*$")
DURATION_PART_RE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b", re.I
)
STAT_LINE_RE = re.compile(
    r"^\s*(?:[-*+]\s+)?[*_]*(?P<key>time[ -]to[ -](?:detect\w*|mitigat\w*|recover\w*|resol\w*|repair\w*|"
    r"restor\w*|fix\w*)|mttd|mttr|ttd|ttm|ttr|category|incident category|severity)[*_]*\s*[:=]\s*[*_]*"
    r"(?P<value>.*?)[*_]*\s*$",
    re.I,
)
STATUS_WORDS = {
    ActionStatus.OPEN: ("open", "todo", "to do", "new", "not started", "planned", "pending", "backlog"),
    ActionStatus.IN_PROGRESS: ("in progress", "in-progress", "wip", "doing", "started", "ongoing", "in_progress"),
    ActionStatus.DONE: ("done", "complete", "completed", "closed", "fixed", "resolved", "finished", "implemented"),
    ActionStatus.WONT_DO: ("won't do", "wont do", "wont_do", "won't fix", "wontfix", "wont fix", "cancelled",
                           "canceled", "rejected", "dropped", "not doing"),
}
PRIORITY_WORDS = {
    Priority.HIGH: ("high", "p0", "p1", "critical", "urgent", "highest"),
    Priority.MEDIUM: ("medium", "p2", "normal", "moderate", "med"),
    Priority.LOW: ("low", "p3", "p4", "lowest", "minor"),
}
KIND_WORDS = {
    ActionKind.PREVENT: ("prevent", "prevention", "preventive"),
    ActionKind.MITIGATE: ("mitigate", "mitigation"),
    ActionKind.DETECT: ("detect", "detection", "monitoring"),
    ActionKind.PROCESS: ("process",),
    ActionKind.REPAIR: ("repair", "fix"),
}
# Words that suggest a contributing factor's category. A phrase in STRONG counts twice; ties go to the
# category listed first here (the specific, systemic ones before "change", whose words are everywhere).
CATEGORY_WORDS = {
    "detection": r"monitor\w*|alert\w*|alarms?|observability|detect\w*|visibility|metrics?|dashboards?|"
                 r"unnoticed|overlooked|logs?|probes?",
    "capacity": r"capacity|exhaust\w*|starvation|starved|limits?|quotas?|memory|cpu|disk space|load|"
                r"saturat\w*|oom|throttl\w*|ip address\w*|out of|utili[sz]ation|resources?",
    "design": r"design\w*|architecture|default\w*|single point|hard-?coded|coupl\w*|mixed|not possible|"
              r"redundan\w*|isolat\w*|dedicated|constrain\w*|availability zones?|single",
    "dependency": r"vendor\w*|third[- ]party|upstream|dependenc\w*|depends?|provider|librar\w*|packages?|"
                  r"external|supply chain|amazon|aws|docker hub|open source|political",
    "tooling": r"tool\w*|pipelines?|scripts?|automation|automated|terraform|ci/cd|ci|cli|command|iac|"
               r"state lock|azure devops",
    "communication": r"communicat\w*|announc\w*|slack|notif\w*|informed|response from|escalation paths?|"
                     r"channels?|noise|message\w*|contact\w*|conference",
    "knowledge": r"knowledge|understand\w*|training|learning|unfamiliar|unclear|experience\w*|aware\w*|"
                 r"assum\w*|thought|expertise",
    "process": r"process\w*|procedures?|review\w*|runbooks?|guidelines?|staging|qa|test suite|tests?|testing|"
               r"checklists?|prioriti\w*|hand-?over|hands-on|polic\w*|least[- ]privilege|documentation|"
               r"documented|on-call|responsib\w*|war room|focus\w*|revision",
    "change": r"deploy|deploys|deployment|deploying|release\w*|upgrad\w*|migrat\w*|rollout|roll-out|"
              r"config(?:uration)? change|changed|changes?|revert\w*|pull request|commit\w*|merged?|new version|"
              r"patch\w*|rollover|roll-over",
}
STRONG = {
    "detection": r"no monitoring|not monitor\w*|lack of monitoring|missing (?:monitoring|alert\w*)|no alert\w*|"
                 r"not catching",
    "design": r"hard-?coded|single point of failure|by default|mixed with|dedicated",
    "capacity": r"starvation|exhaust\w*|out of memory",
    "knowledge": r"lack of (?:deeper )?understanding",
}
_CATEGORY_RES = {slug: re.compile(rf"\b(?:{words})\b", re.I) for slug, words in CATEGORY_WORDS.items()}
_STRONG_RES = {slug: re.compile(rf"\b(?:{words})\b", re.I) for slug, words in STRONG.items()}
DEFAULT_CATEGORY = "design"


class BadFile(Exception):
    """The file cannot be imported; the message says why."""


@dataclass
class ParsedFactor:
    description: str
    category: str = ""  # a FactorCategory name or slug as written, else empty (guess from the words)


@dataclass
class ParsedActionItem:
    title: str
    description: str = ""
    status: str = ActionStatus.OPEN
    owner: str = ""
    due_date: date | None = None
    priority: str = Priority.MEDIUM
    kind: str = ActionKind.PREVENT
    tracker_url: str = ""
    wont_do_reason: str = ""
    completed_on: date | None = None  # when a done or won't-do item was closed, if the file says


@dataclass
class Document:
    title: str
    front_matter: dict
    summary: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)
    events: list[ParsedEvent] = field(default_factory=list)
    unparsed_timeline_lines: int = 0
    factors: list[ParsedFactor] = field(default_factory=list)
    action_items: list[ParsedActionItem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    incident_date: date | None = None
    time_zone: tzinfo | None = None  # the zone the front matter or the text states
    # What became structure (where the title, day and zone came from) and the lines of timeline
    # parts that stayed text, for the per-file report.
    structure: list[str] = field(default_factory=list)
    text_lines: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading a file


def read_document(raw: bytes, *, filename: str = "", tz: tzinfo | None = None) -> Document:
    """Return the post-mortem `raw` Markdown describes, or raise BadFile saying why it cannot."""
    if len(raw) > MAX_FILE_BYTES:
        raise BadFile(f"too large ({_megabytes(len(raw))}; files up to {_megabytes(MAX_FILE_BYTES)} are imported)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadFile(f"not UTF-8 (byte 0x{raw[error.start]:02x} at position {error.start})") from None
    if "\x00" in text:
        raise BadFile(f"holds a NUL character at position {text.index(chr(0))} (is it a binary file?)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadFile("empty file")
    try:
        front, text = split_front_matter(text)
    except ReadError as error:
        raise BadFile(str(error)) from None
    text = _inline_reference_links(text)
    outline = read_outline(text)
    parts = split_sections(text, outline)
    title_source = ("the front matter" if _text(front.get("title")) else
                    ("the level-1 heading" if parts.title else "the file name"))
    title = _text(front.get("title")) or parts.title or title_from_filename(filename)
    if not title:
        first = next((h for h in outline.headings if not GENERIC_HEADING.match(h.text)), None)
        title, title_source = (first.text if first else ""), "the first heading"
    if not title:
        raise BadFile("no title: no front matter title, no heading and no file name to take it from")
    stated = _stated_zone(text, outline, parts) or zone_of_lines(text)
    doc = Document(title=title[:200], front_matter=front)
    doc.structure.append(f"title from {title_source}")
    doc.time_zone = _zone(front.get("time_zone") or front.get("timezone")) or (stated[1] if stated else None)
    tz = doc.time_zone or tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if len(title) > 200:
        doc.warnings.append("title cut to 200 characters")
    doc.summary = "\n\n".join(part for part in (parts.before, parts.intro) if part)
    opaque = outline.opaque_lines()
    plain = "\n".join("" if number in opaque else line for number, line in enumerate(text.split("\n"), 1))
    day_first = numeric_date_order(plain, tz)
    stated_date = _incident_date(front, filename=filename, title=title, parts=parts, plain=plain,
                                 day_first=day_first)
    first_date = find_date(plain, day_first=day_first)
    default_date = stated_date or first_date
    sections = list(parts.parts)
    timeline_parts = {index for index, (heading, body, _, _) in enumerate(sections)
                      if TIMELINE_HEADING.search(heading) or _has_timeline_label(body)}
    if not timeline_parts:
        # No part is called a timeline: the intro, or a part whose list items open with times, is one.
        if _opens_with_times(doc.summary):
            result = parse_timeline(doc.summary, default_date=default_date, tz=tz, day_first=day_first)
            doc.events.extend(result.events)
            doc.unparsed_timeline_lines += len(result.unparsed_lines)
            doc.text_lines.extend(result.unparsed_lines)
            doc.summary = result.remainder
        timeline_parts = {index for index, (_, body, _, _) in enumerate(sections) if _opens_with_times(body)}
    for index, (heading, body, _, _) in enumerate(sections):
        if index in timeline_parts:
            heading_zone = stated_zone(heading)
            result = parse_timeline(body, default_date=find_date(heading, day_first=day_first) or default_date,
                                    tz=heading_zone[1] if heading_zone else tz, day_first=day_first)
            doc.events.extend(result.events)
            doc.unparsed_timeline_lines += len(result.unparsed_lines)
            doc.text_lines.extend(result.unparsed_lines)
            if result.events:
                default_date = default_date or result.events[0].occurred_at.date()
            body = result.remainder if result.events else body
        elif FACTORS_HEADING.search(heading):
            factors, body = _factors(body)
            doc.factors.extend(factors)
        elif ACTIONS_HEADING.search(heading):
            items, body = _action_items(body)
            doc.action_items.extend(items)
        if body.strip() or not (index in timeline_parts or FACTORS_HEADING.search(heading)
                                or ACTIONS_HEADING.search(heading)):
            doc.sections.append((heading, body.strip("\n")))
    doc.incident_date = stated_date or (min(e.occurred_at for e in doc.events).astimezone(tz).date()
                                        if doc.events else first_date)
    if doc.incident_date:
        source = "" if stated_date else " (from the timeline)" if doc.events else " (first date in the text)"
        doc.structure.append(f"incident day {doc.incident_date:%Y-%m-%d}{source}")
    if doc.time_zone is not None:
        doc.structure.append(f"times in {getattr(doc.time_zone, 'key', doc.time_zone)}"
                             + (f" (stated: {stated[0]})" if stated and not front.get("time_zone") else ""))
    if "summary" in front:
        if doc.summary and doc.summary != _text(front.get("summary")):
            doc.sections.insert(0, ("Introduction", doc.summary))
        doc.summary = _text(front.get("summary"))
    elif not doc.summary:
        summary_body = next((body for heading, body in doc.sections if SUMMARY_HEADING.match(heading)), "")
        doc.summary = summary_body.strip().split("\n\n")[0].strip()
    _refuse_unsafe_links(doc)
    doc.stats = _stats(text)
    return doc


TIMELINE_LABEL = re.compile(r"^\s*(?:\*\*|__|#{1,6}\s)\s*(?:timelines?|chronology|sequence of events)\b", re.I | re.M)
OPENS_WITH_TIME = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S{0,3}\d{1,2}:\d{2}", re.M)
# "Date: 5 September 2024", "| **Incident date** | 01 Mar 2024 |", "Incident window: 02-26-2024 …"
DATE_LABEL = re.compile(r"^[^\n]{0,12}\b(?:(?:incident )?date(?: of (?:the )?incident)?|incident window|when)\b"
                        r"[*_ ]*[:|][^\n]*", re.I | re.M)
# "On 17 January 2023 …", "On the night of 14 January 2025", "On Tuesday 23 January 2024"
DATE_SENTENCE = re.compile(r"\b[Oo]n\b[^.\n]{0,40}")


def _has_timeline_label(body: str) -> bool:
    return bool(TIMELINE_LABEL.search(body))


def _opens_with_times(text: str) -> bool:
    return len(OPENS_WITH_TIME.findall(text)) >= 2


def _stated_zone(text: str, outline, parts) -> tuple[str, tzinfo] | None:
    """Return the zone the document states for its times: the timeline's heading first, then the text."""
    for heading, _, _, _ in parts.parts:
        if TIMELINE_HEADING.search(heading) and (found := stated_zone(heading)):
            return found
    opaque = outline.opaque_lines()
    for number, line in enumerate(text.split("\n"), 1):
        if number not in opaque and len(line) < 200 and (found := stated_zone(line)):
            return found
    return None


def _incident_date(front: dict, *, filename: str, title: str, parts, plain: str, day_first: bool | None) -> date | None:
    """Return the day of the incident: front matter, file name, title, timeline heading, then the
    first sentence that states a date."""
    for key in ("started", "started_at", "date", "incident_start", "incident_date"):
        if front.get(key) and (found := _as_date(front.get(key))):
            return found
    found = find_date(Path(filename).stem, day_first=False) or find_date(title, day_first=day_first)
    if found:
        return found
    for heading, _, _, _ in parts.parts:
        if TIMELINE_HEADING.search(heading) and (found := find_date(heading, day_first=day_first)):
            return found
    for match in DATE_LABEL.finditer(plain):
        if found := find_date(match.group(0), day_first=day_first):
            return found
    summary = "\n".join([parts.before, parts.intro] + [body for heading, body, _, _ in parts.parts[:3]
                                                       if INCIDENT_SUMMARY_HEADING.search(heading)])
    for match in DATE_SENTENCE.finditer(summary):
        if found := find_date(match.group(0), day_first=day_first):
            return found
    return None


def _refuse_unsafe_links(doc: Document) -> None:
    """Keep only web links as links (the rule the models hold); a refused one stays visible as text."""
    for item in doc.action_items:
        if item.tracker_url and not _is_web_url(item.tracker_url):
            doc.warnings.append(f"tracker link of “{item.title[:40]}” refused (not an http/https link); "
                                "kept as text in its description")
            note = removed_link_note("Tracker", item.tracker_url)
            item.description = f"{item.description}\n\n{note}" if item.description else note
            item.tracker_url = ""
    for index, event in enumerate(doc.events):
        if event.evidence_url and not _is_web_url(event.evidence_url):
            doc.warnings.append(f"evidence link of the event “{event.description[:40]}” refused (not an "
                                "http/https link); kept as text in its description")
            note = removed_link_note("Evidence", event.evidence_url)
            doc.events[index] = replace(event, description=f"{event.description}\n\n{note}", evidence_url="")


def _is_web_url(value: str) -> bool:
    try:
        validate_web_url(value)
    except ValidationError:
        return False
    return True


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _inline_reference_links(text: str) -> str:
    """Return `text` with `[text][ref]` links written inline and their `[ref]: url` lines removed."""
    definitions, kept, in_fence = {}, [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else REFERENCE_DEF_RE.match(line)
        if match:
            definitions[match.group(1).strip().lower()] = match.group(2)
        else:
            kept.append(line)
    if not definitions:
        return text

    def replace(match):
        label = (match.group(2) or match.group(1)).strip().lower()
        url = definitions.get(label)
        return f"[{match.group(1)}]({url})" if url else match.group(0)

    out = "\n".join(kept)
    out = re.sub(r"\[([^\[\]]+)\]\[([^\[\]]*)\]", replace, out)
    out = re.sub(r"(?<![\]\\!])\[([^\[\]]+)\](?![\[(:])", lambda m: replace(m) if m.group(1).strip().lower()
                 in definitions and m.group(1).strip().lower() not in ("x", " ") else m.group(0), out)
    return out


def _list_items(body: str) -> tuple[list[tuple[str, str]], str]:
    """Return the top-level list items of `body` as (first line, indented rest) and the other text."""
    items: list[list] = []
    other: list[str] = []
    current = None
    blank = False
    in_fence = False
    for line in body.split("\n"):
        fence = line.lstrip().startswith(("```", "~~~"))
        match = None if in_fence else LIST_ITEM_RE.match(line)
        if fence:
            in_fence = not in_fence
        if match and not (current is not None and line[:1] in (" ", "\t") and len(match.group(1)) >= 2):
            current = [match.group(2).strip(), []]
            items.append(current)
            blank = False
        elif current is not None and line.strip() and (line[:1] in (" ", "\t") or in_fence or fence):
            current[1].append(line)
            blank = False
        elif current is not None and not line.strip():
            current[1].append("")
            blank = True
        elif current is not None and not blank:
            current[0] += "\n" + line.strip()  # a lazy continuation line
        else:
            current = None
            other.append(line)
    result = []
    for first, rest in items:
        rest_text = textwrap.dedent("\n".join(rest)).strip("\n")
        result.append((first, rest_text))
    return result, "\n".join(other).strip("\n")


def _factors(body: str) -> tuple[list[ParsedFactor], str]:
    items, other = _list_items(body)
    factors = []
    for first, rest in items:
        text = first if not rest else f"{first}\n{rest}"
        match = re.match(r"^\*\*([^*]{1,100})\*\*\s*:\s*(.+)$", text, re.S)
        if match and match.group(2).strip():
            factors.append(ParsedFactor(description=match.group(2).strip(), category=match.group(1).strip()))
        elif text.strip():
            factors.append(ParsedFactor(description=text.strip()))
    return factors, other


META_RE = re.compile(r"\s*\(((?:owner|due|status|priority|kind|completed):[^()]*)\)\s*$", re.I)


def _action_items(body: str) -> tuple[list[ParsedActionItem], str]:
    table_items, body = _action_table(body)
    items, other = _list_items(body)
    parsed = list(table_items)
    for first, rest in items:
        item = _action_item(first, rest)
        if item:
            parsed.append(item)
    return parsed, other


def _action_item(first: str, rest: str) -> ParsedActionItem | None:
    item = ParsedActionItem(title="")
    box = re.match(r"^\[([ xX])\]\s*(.*)$", first, re.S)
    if box:
        item.status = ActionStatus.DONE if box.group(1).lower() == "x" else ActionStatus.OPEN
        first = box.group(2)
    meta = META_RE.search(first)
    if meta:
        first = first[: meta.start()]
        for key, value in re.findall(r"(owner|due|status|priority|kind|completed):\s*([^,]*)", meta.group(1), re.I):
            _set_field(item, key.lower(), value.strip())
    marker = re.search(r"\s*[(\[](done|in progress|wip|won'?t do|cancell?ed)[)\]]\.?\s*$", first, re.I)
    if marker:
        item.status = _status(marker.group(1)) or item.status
        first = first[: marker.start()]
    bold = re.match(r"^\*\*((?:\\.|[^\\*])+?)\*\*\s*[:\-–—]?\s*(.*)$", first, re.S)
    description = []
    if bold:
        title = re.sub(r"\\([\\*])", r"\1", bold.group(1)).strip()
        if bold.group(2).strip():
            description.append(bold.group(2).strip())
    else:
        title = first.strip()
    rest_lines = rest.split("\n") if rest else []
    while rest_lines and re.match(r"^(tracker|won'?t do):", rest_lines[0], re.I):
        key, value = rest_lines.pop(0).split(":", 1)
        if key.lower() == "tracker":
            item.tracker_url = value.strip()[:500]
        else:
            item.wont_do_reason = value.strip()
    if "\n".join(rest_lines).strip():
        description.append("\n".join(rest_lines).strip("\n"))
    if not title:
        return None
    if len(title) > 200:
        description.insert(0, title)
        title = title[:199].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    item.title = title.replace("\n", " ")
    item.description = "\n\n".join(description)
    if item.status == ActionStatus.WONT_DO and not item.wont_do_reason:
        item.wont_do_reason = "Marked as won't do in the imported file."
    return item


def _set_field(item: ParsedActionItem, key: str, value: str) -> None:
    if key == "owner":
        item.owner = value.lstrip("@")
    elif key == "due":
        item.due_date = _as_date(value)
    elif key == "status":
        item.status = _status(value) or item.status
    elif key == "priority":
        item.priority = _choice(value, PRIORITY_WORDS) or item.priority
    elif key == "kind":
        item.kind = _choice(value, KIND_WORDS) or item.kind
    elif key == "completed":
        item.completed_on = _as_date(value)


def _action_table(body: str) -> tuple[list[ParsedActionItem], str]:
    """Return action items read from Markdown tables in `body`, and `body` without those tables."""
    lines = body.split("\n")
    items, kept, index = [], [], 0
    while index < len(lines):
        line = lines[index]
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        if "|" in line and "|" in nxt and re.match(r"^\s*\|?\s*:?-{2,}", nxt):
            header = [re.sub(r"[*_`]", "", h).strip().lower() for h in split_row(line)]
            roles = {}
            for i, name in enumerate(header):
                for role, pattern in (
                    ("title", r"action|title|item|task|what|follow"), ("owner", r"owner|assignee|who"),
                    ("due", r"due|deadline|date|when"), ("status", r"status|state|done"),
                    ("priority", r"priority|prio"), ("kind", r"kind|type"),
                    ("tracker", r"tracker|ticket|issue|link|jira"), ("description", r"description|details|notes?"),
                ):
                    if role not in roles and re.search(pattern, name):
                        roles[role] = i
                        break
            roles.setdefault("title", 0)
            end = index + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                cells = [cell_text(c) for c in split_row(lines[end])]

                def get(role, cells=cells, roles=roles):
                    return cells[roles[role]] if role in roles and roles[role] < len(cells) else ""

                if get("title"):
                    item = ParsedActionItem(title=get("title")[:200], description=get("description"))
                    for key in ("owner", "due", "status", "priority", "kind"):
                        if get(key):
                            _set_field(item, key, get(key))
                    url = re.search(r"https?://\S+", get("tracker"))
                    item.tracker_url = url.group(0).rstrip(")>")[:500] if url else ""
                    if item.status == ActionStatus.WONT_DO:
                        item.wont_do_reason = "Marked as won't do in the imported file."
                    items.append(item)
                end += 1
            index = end
            continue
        kept.append(line)
        index += 1
    return items, "\n".join(kept)


def _status(value: str) -> str | None:
    return _choice(value, STATUS_WORDS)


def _choice(value: str, words: dict) -> str | None:
    value = re.sub(r"[*_`]", "", value).strip().lower().replace("’", "'")
    for choice, options in words.items():
        if value in options or value == choice:
            return choice
    return None


def parse_duration(text: str) -> timedelta | None:
    """Return the duration "5 minutes", "54 hours 10 minutes", "1h 30m" or "11 Days" names, or None."""
    parts = DURATION_PART_RE.findall(text)
    if not parts:
        match = re.fullmatch(r"\s*(\d{1,3}):(\d{2})\s*", text)
        return timedelta(hours=int(match.group(1)), minutes=int(match.group(2))) if match else None
    total = timedelta()
    for number, unit in parts:
        amount = float(number.replace(",", "."))
        unit = unit.lower()
        if unit.startswith("w"):
            total += timedelta(weeks=amount)
        elif unit.startswith("d"):
            total += timedelta(days=amount)
        elif unit.startswith("h"):
            total += timedelta(hours=amount)
        elif unit.startswith("m"):
            total += timedelta(minutes=amount)
        else:
            total += timedelta(seconds=amount)
    return total


def _stats(text: str) -> dict:
    """Return durations, category and severity that "Key: value" lines state anywhere in `text`."""
    stats: dict = {}
    for line in text.split("\n"):
        match = STAT_LINE_RE.match(line)
        if not match:
            continue
        key, value = match.group("key").lower(), match.group("value").strip()
        if "category" in key:
            if value and value.lower() not in ("?", "n/a", "none", "-"):
                stats.setdefault("category", value[:100])
        elif key == "severity":
            stats.setdefault("severity", value)
        else:
            duration = parse_duration(value)
            if duration is None:
                continue
            if "detect" in key or key in ("ttd", "mttd"):
                stats.setdefault("detected", duration)
            elif "mitigat" in key or key == "ttm":
                stats.setdefault("mitigated", duration)
            else:
                stats.setdefault("resolved", duration)
    return stats


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if str(part).strip()]
    return [str(value)]


def _zone(value) -> tzinfo | None:
    if not value:
        return None
    try:
        return zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        found = find_date(value)
        return found
    return None


def _as_datetime(value, tz: tzinfo) -> datetime | None:
    """Return an aware datetime for a front matter value (a YAML timestamp, a date, or text)."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            found = find_date(text)
            return datetime.combine(found, time(0), tzinfo=tz) if found else None
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=tz)
    return None


def severity_of(value) -> str | None:
    """Return the severity "SEV2", "sev 2", "2", "high" … names, or None."""
    text = _text(value).lower()
    match = re.search(r"(?:sev|severity|s|p)?\s*-?\s*([1-4])\b", text)
    if match:
        return f"sev{match.group(1)}"
    for words, severity in ((("critical", "major"), Severity.SEV1), (("high",), Severity.SEV2),
                            (("medium", "moderate"), Severity.SEV3), (("low", "minor"), Severity.SEV4)):
        if any(word in text for word in words):
            return severity
    return None


def status_of(value) -> str | None:
    text = _text(value).lower().replace(" ", "_").replace("-", "_")
    return text if text in Status.values else None


def guess_category(text: str, categories: dict) -> FactorCategory:
    """Return the category `text` most suggests among `categories` (slug → FactorCategory)."""
    scores = {
        slug: len(pattern.findall(text)) + len(_STRONG_RES[slug].findall(text)) if slug in _STRONG_RES
        else len(pattern.findall(text))
        for slug, pattern in _CATEGORY_RES.items() if slug in categories
    }
    best = max(scores.items(), key=lambda item: item[1], default=(None, 0))  # the first of equals wins
    if best[1]:
        return categories[best[0]]
    return categories.get(DEFAULT_CATEGORY) or next(iter(categories.values()))


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).lower() in ("1", "true", "yes", "on")
