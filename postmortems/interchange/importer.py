"""Bring Markdown post-mortems in: one file becomes one post-mortem, nothing is dropped.

Reading a file (`read_document`, no database) and saving it (`import_document`) are separate, so
`--dry-run` reports exactly what a real import would do.

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

import hashlib
import re
import textwrap
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from postmortems.forms import TAG_MAX_LENGTH
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
    IMPORT_ACTIONS,
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Priority,
    Revision,
    Section,
    SectionKind,
    Severity,
    Status,
    Team,
    Template,
    TimelineEvent,
    incident_time_error,
)
from postmortems.services import check_restriction_change, postmortem_record_change, unique_slug
from postmortems.weblinks import removed_link_note, validate_web_url

COMMIT_EVERY = 50
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


# ---------------------------------------------------------------- saving


@dataclass
class Options:
    template: Template
    status: str = Status.DRAFT
    team: Team | None = None
    restricted: bool = False
    dry_run: bool = False
    overwrite: bool = False
    tz: tzinfo | None = None


@dataclass
class FileReport:
    path: str
    outcome: str  # imported, updated, skipped, failed ("would be imported/updated" in a dry run)
    reason: str = ""
    slug: str = ""
    sections: int = 0
    events: int = 0
    factors: int = 0
    action_items: int = 0
    notes: list[str] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)  # where the title, day and zone came from
    text_lines: list[str] = field(default_factory=list)  # timeline lines kept as text

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    def describe(self) -> str:
        parts = [f"{self.sections} sections", f"{self.events} timeline events", f"{self.factors} factors",
                 f"{self.action_items} action items"]
        return ", ".join(parts)


class _Lookups:
    """What the import reads over and over, loaded once per batch."""

    def __init__(self, template: Template):
        self._template_sections: dict[int, dict] = {}
        self.default_template = template
        self.categories = {c.slug: c for c in FactorCategory.objects.all()}
        self.categories_by_name = {c.name.lower(): c for c in self.categories.values()}
        self.users: dict[str, object] = {}
        self.teams: dict[str, Team] = {}
        self.tags: dict[str, Tag] = {}
        self.postmortem_type = ContentType.objects.get_for_model(PostMortem)

    def forget_writes(self) -> None:
        """Drop remembered tags and teams: those created for a file that failed were rolled back with it."""
        self.tags.clear()
        self.teams.clear()

    def template_section(self, template: Template | None, heading: str):
        """Return the section of `template` with this heading (any case and punctuation), or None."""
        template = template or self.default_template
        if template.pk not in self._template_sections:
            sections = {}
            for ts in template.sections.all():
                sections.setdefault(_heading_key(ts.heading), ts)
            self._template_sections[template.pk] = sections
        return self._template_sections[template.pk].get(_heading_key(heading))

    def template(self, slug: str) -> Template | None:
        if not hasattr(self, "_templates"):
            self._templates = {t.slug: t for t in Template.objects.all()}
        return self._templates.get(slug)

    def tag(self, name: str) -> Tag:
        """Return the tag called `name` (any case, as taggit matches), creating it once."""
        key = name.lower()
        if key not in self.tags:
            self.tags[key] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        return self.tags[key]

    def user(self, username: str):
        if username not in self.users:
            self.users[username] = get_user_model().objects.filter(username=username).first()
        return self.users[username]

    def team(self, key: str) -> tuple[Team, bool]:
        slug = slugify(key) or key
        if slug not in self.teams:
            team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name__iexact=key).first()
            created = False
            if team is None:
                team, created = Team.objects.get_or_create(slug=slug, defaults={"name": _team_name(key)})
            self.teams[slug] = team
            return team, created
        return self.teams[slug], False

    def category(self, factor: ParsedFactor) -> FactorCategory:
        key = factor.category.lower()
        if key and (key in self.categories_by_name or key in self.categories):
            return self.categories_by_name.get(key) or self.categories[key]
        text = f"{factor.category} {factor.description}" if factor.category else factor.description
        return guess_category(text, self.categories)


def _team_name(key: str) -> str:
    return key.replace("-", " ").replace("_", " ").strip().title() if key == slugify(key) else key


def _heading_key(heading: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", heading.lower()).strip()


def checksum(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def source_key(path: Path) -> str:
    return str(path.resolve())[-500:]


def import_file(path: Path, *, options: Options, lookups: _Lookups | None = None) -> FileReport:
    """Import one Markdown file; return what became of it (never raises for a bad file)."""
    lookups = lookups or _Lookups(options.template)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return FileReport(str(path), "failed",
                              f"too large ({_megabytes(size)}; files up to {_megabytes(MAX_FILE_BYTES)} are imported)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since
    except OSError as error:
        return FileReport(str(path), "failed", f"cannot be read ({error.strerror or error})")
    # One bad file must not stop the batch: whatever goes wrong is that file's failure, and its
    # writes are rolled back to a savepoint so the batch's transaction stays usable.
    try:
        doc = read_document(raw, filename=path.name, tz=options.tz)
    except BadFile as error:
        return FileReport(str(path), "failed", str(error))
    except Exception as error:
        return FileReport(str(path), "failed", f"could not be read ({_describe(error)})")
    try:
        with transaction.atomic():
            return import_document(doc, path=path, digest=checksum(raw), options=options, lookups=lookups)
    except Exception as error:
        lookups.forget_writes()
        return FileReport(str(path), "failed", f"could not be saved ({_describe(error)})")


def _describe(error: Exception) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def import_document(doc: Document, *, path: Path, digest: str, options: Options, lookups: _Lookups) -> FileReport:
    key = source_key(path)
    existing = PostMortem.objects.filter(source_path=key).first()
    would = "would be " if options.dry_run else ""
    report = FileReport(str(path), "", sections=len(doc.sections), events=len(doc.events),
                        factors=len(doc.factors), action_items=len(doc.action_items), notes=list(doc.warnings),
                        structure=list(doc.structure), text_lines=list(doc.text_lines))
    if doc.unparsed_timeline_lines:
        report.notes.append(f"{doc.unparsed_timeline_lines} timeline line(s) without a readable time kept as text")
    restricted = options.restricted or _bool(doc.front_matter.get("restricted"))
    bad_date = _date_out_of_range(doc, source_path=key, tz=_document_zone(doc, options))
    if bad_date:
        report.outcome, report.reason = "failed", bad_date
        return report
    if existing is not None:
        report.slug = existing.slug
        if existing.source_checksum == digest:
            report.outcome, report.reason = "skipped", "unchanged"
            return report
        last = Revision.objects.filter(postmortem=existing).order_by("-version", "-id").first()
        if last is not None and last.action not in IMPORT_ACTIONS and not options.overwrite:
            report.outcome = "skipped"
            report.reason = (f"changed in Hindsight since it was imported ({last.action}); "
                             "pass --overwrite to replace those changes with the file")
            return report
        try:
            check_restriction_change(user=None, postmortem=existing, restricted=restricted)
        except PermissionDenied:
            restricted = True
            report.notes.append("stays restricted (it is restricted in Hindsight; only a facilitator lifts that)")
        report.outcome = would + "updated"
    else:
        report.outcome = would + "imported"
    if existing is not None and existing.status == Status.PUBLISHED:
        # Readers keep the published text: the file's version waits for review in an amendment.
        report.outcome = would + "amended"
        if not options.dry_run:
            _amend(doc, existing=existing, key=key, options=options, lookups=lookups, report=report)
        if report.outcome != "skipped":
            report.notes.append(AMENDED_NOTE)
        return report
    if options.dry_run:
        return report
    postmortem = _save(doc, existing=existing, key=key, digest=digest, restricted=restricted,
                       options=options, lookups=lookups, report=report)
    report.slug = postmortem.slug
    return report


AMENDED_NOTE = ("published: the file's changes wait for review in an amendment; readers keep the published text "
                "until a facilitator publishes it")


def _amend(doc: Document, *, existing: PostMortem, key: str, options: Options, lookups: _Lookups,
           report: FileReport) -> None:
    """Save the file as the pending amendment of published `existing`, submitted for review."""
    from django.core.exceptions import ValidationError

    from postmortems.services import postmortem_save, working_document

    current, _ = working_document(existing)
    amended = _document_from_file(doc, current=current, postmortem=existing, key=key, options=options,
                                  lookups=lookups, report=report)
    comment = f"From {Path(key).name}"
    try:
        result = postmortem_save(postmortem=existing, user=None, base_version=existing.version, document=amended,
                                 submit=True, comment=comment)
    except ValidationError as error:  # required sections left empty: keep it as a draft amendment
        result = postmortem_save(postmortem=existing, user=None, base_version=existing.version, document=amended,
                                 comment=comment)
        report.notes.append(f"not submitted for review: {' '.join(error.messages)}")
    if result.revision is None:
        report.outcome, report.reason = "skipped", "its amendment already says what the file says"


def _document_from_file(doc: Document, *, current: dict, postmortem: PostMortem, key: str, options: Options,
                        lookups: _Lookups, report: FileReport) -> dict:
    """Return `current` (an editor document) rewritten to say what the file says, keeping the ids of
    the rows the file still has (sections by heading, events by time and text, factors by text,
    action items by title)."""
    front = doc.front_matter
    tz = _zone(front.get("time_zone") or front.get("timezone")) or options.tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    times = PostMortem(source_path=key)
    _set_times(times, doc, tz)

    def iso(value):
        return value.astimezone(UTC).isoformat() if value else None

    teams, tags, authors = _people_and_labels(doc, options, lookups, report)
    sections_by_heading: dict[str, list[dict]] = {}
    for row in current["sections"]:
        sections_by_heading.setdefault(row["heading"], []).append(row)
    sections = []
    for heading, body in doc.sections:
        same = sections_by_heading.get(heading, [])
        sections.append({**same.pop(0), "body": body} if same else {"id": None, "heading": heading, "body": body})
    sections += [{**row, "body": ""} for rows in sections_by_heading.values() for row in rows]

    def ids_by(rows, key_of):
        found: dict = {}
        for row in rows:
            found.setdefault(key_of(row), []).append(row["id"])
        return found

    events = ids_by(current["timeline"], lambda r: (r["when"], r["description"]))
    factors = ids_by(current["factors"], lambda r: r["description"])
    items = ids_by(current["action_items"], lambda r: r["title"])

    def take(found, key_value):
        ids = found.get(key_value)
        return ids.pop(0) if ids else None

    action_items = []
    for parsed in doc.action_items:
        description = parsed.description
        owner = lookups.user(parsed.owner) if parsed.owner else None
        if parsed.owner and owner is None:
            report.notes.append(f"no user {parsed.owner!r} to own “{parsed.title[:40]}”; kept in its description")
            description = f"{description}\n\nOwner in the imported file: {parsed.owner}".strip()
        action_items.append({
            "id": take(items, parsed.title), "title": parsed.title, "description": description, "kind": parsed.kind,
            "priority": parsed.priority, "owner": owner.username if owner else None,
            "due_date": parsed.due_date.isoformat() if parsed.due_date else None, "status": parsed.status,
            "wont_do_reason": parsed.wont_do_reason if parsed.status == ActionStatus.WONT_DO else "",
            "tracker_url": parsed.tracker_url,
        })
    return {
        **current,
        "title": doc.title,
        "summary": doc.summary,
        "severity": severity_of(front.get("severity")) or severity_of(doc.stats.get("severity")) or current["severity"],
        "started_at": iso(times.started_at), "detected_at": iso(times.detected_at),
        "mitigated_at": iso(times.mitigated_at), "resolved_at": iso(times.resolved_at),
        "teams": sorted(t.name for t in teams), "tags": sorted(t.name for t in tags),
        "authors": sorted(u.username for u in authors) or current["authors"],
        "sections": sections,
        "timeline": [
            {"id": take(events, (iso(e.occurred_at), e.description)), "when": iso(e.occurred_at), "kind": e.kind_guess,
             "description": e.description, "evidence_url": e.evidence_url[:500]}
            for e in doc.events
        ],
        "factors": [
            {"id": take(factors, f.description), "category": lookups.category(f).name, "description": f.description}
            for f in doc.factors
        ],
        "action_items": action_items,
    }


@transaction.atomic
def _save(doc: Document, *, existing: PostMortem | None, key: str, digest: str, restricted: bool,
          options: Options, lookups: _Lookups, report: FileReport) -> PostMortem:
    front = doc.front_matter
    tz = _document_zone(doc, options)
    postmortem = existing or PostMortem(version=0, source_path=key)
    postmortem.title = doc.title
    postmortem.summary = doc.summary
    postmortem.severity = (severity_of(front.get("severity")) or severity_of(doc.stats.get("severity"))
                           or (existing.severity if existing else Severity.SEV3))
    status = status_of(front.get("status")) or options.status
    if status != postmortem.status or existing is None:
        postmortem.status_changed_at = timezone.now()
    postmortem.status = status
    if status == Status.PUBLISHED:
        postmortem.published_at = (_as_datetime(front.get("published_at") or front.get("published"), tz)
                                   or postmortem.published_at or timezone.now())
    postmortem.restricted = restricted
    if "template" in front and front["template"] is None:
        postmortem.template = None  # stated: made without a template (sections still get the default's prompts)
    else:
        postmortem.template = lookups.template(_text(front.get("template"))) or options.template
    _set_times(postmortem, doc, tz)
    facilitator = _text(front.get("facilitator"))
    postmortem.facilitator = lookups.user(facilitator) if facilitator else None
    if facilitator and postmortem.facilitator is None:
        report.notes.append(f"no user {facilitator!r} to be the facilitator")
    wanted_slug = slugify(_text(front.get("slug")))[:220]
    if existing is None or (wanted_slug and wanted_slug != existing.slug):
        taken = wanted_slug and PostMortem.objects.filter(slug=wanted_slug).exclude(pk=postmortem.pk).exists()
        if wanted_slug and not taken:
            postmortem.slug = wanted_slug
        elif existing is None:
            postmortem.slug = unique_slug(wanted_slug or doc.title, random_suffix=False)
            if wanted_slug:
                report.notes.append(f"slug {wanted_slug!r} is taken; using {postmortem.slug!r}")
    postmortem.source_checksum = digest
    postmortem.save()
    _save_people_and_labels(postmortem, doc, options, lookups, report, new=existing is None)
    _save_parts(postmortem, doc, lookups, report, new=existing is None)
    postmortem_record_change(
        postmortem=postmortem, user=None, action="imported (updated)" if existing else "imported",
        comment=f"From {Path(key).name}",
    )
    return postmortem


def _document_zone(doc: Document, options: Options) -> tzinfo:
    return doc.time_zone or options.tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _date_out_of_range(doc: Document, *, source_path: str, tz: tzinfo) -> str:
    """Return why the file cannot be imported because of a date outside 1970 … a year from now, or "".

    Such a file is not imported at all (rather than imported with the date left out), so that
    nothing in it is silently dropped: the report names the date to correct.
    """
    times = PostMortem(source_path=source_path)
    try:
        _set_times(times, doc, tz)
    except OverflowError:  # a duration that carries a time past year 9999
        too_late = datetime.max.replace(tzinfo=UTC)
        return "an incident time is out of range: " + _lower_first(incident_time_error(too_late))
    for label, value in (("incident start", times.started_at), ("detected time", times.detected_at),
                         ("mitigated time", times.mitigated_at), ("resolved time", times.resolved_at)):
        error = incident_time_error(value)
        if error:
            return f"the {label} {_local(value, tz)} is out of range: {_lower_first(error)}"
    bad = [e for e in doc.events if incident_time_error(e.occurred_at)]
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return (f"the timeline event at {_local(first.occurred_at, tz)}{more} is out of range: "
                f"{_lower_first(incident_time_error(first.occurred_at))}")
    return ""


def _local(value: datetime, tz: tzinfo) -> str:
    try:
        value = value.astimezone(tz)
    except OverflowError:
        pass
    return f"{value.year:04d}-{value:%m-%d %H:%M}"  # %Y does not pad years before 1000


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _stated(front: dict, names: tuple[str, ...], tz: tzinfo) -> tuple[bool, datetime | None]:
    """Return whether the front matter states one of `names` (an explicit null counts) and its value."""
    for name in names:
        if name in front:
            return True, _as_datetime(front[name], tz)
    return False, None


def _set_times(postmortem: PostMortem, doc: Document, tz: tzinfo) -> None:
    front = doc.front_matter
    events = sorted(doc.events, key=lambda e: e.occurred_at)
    said, started = _stated(front, ("started", "started_at", "incident_start"), tz)
    raw_date = front.get("date")
    if not said and raw_date is not None:
        if isinstance(raw_date, datetime) or (isinstance(raw_date, str) and re.search(r"\d:\d", raw_date)):
            started = _as_datetime(raw_date, tz)
        elif (day := _as_date(raw_date)) is not None:
            same_day = [e for e in events if e.occurred_at.astimezone(tz).date() == day]
            started = same_day[0].occurred_at if same_day else datetime.combine(day, time(0), tzinfo=tz)
    if not said and started is None and events:
        started = events[0].occurred_at
    if not said and started is None:
        day = find_date(doc.title) or find_date(Path(postmortem.source_path).stem)
        started = datetime.combine(day, time(0), tzinfo=tz) if day else None
    postmortem.started_at = started

    order = ("detected", "mitigated", "resolved")
    stated, explicit = {}, set()
    for name in order:
        said, value = _stated(front, (name, f"{name}_at"), tz)
        if said:
            explicit.add(name)
        elif started and doc.stats.get(name) is not None:
            value = started + doc.stats[name]
        stated[name] = value
    # The timeline fills what the front matter and the stats leave open, in a consistent order only.
    for name, kind in zip(order, ("detection", "mitigation", "resolution"), strict=True):
        if stated[name] is not None or name in explicit:
            continue
        matching = [e.occurred_at for e in events if e.kind_guess == kind and (not started or e.occurred_at >= started)]
        if not matching:
            continue
        guess = matching[-1] if name == "resolved" else matching[0]
        before = [stated[n] for n in order[: order.index(name)] if stated[n]]
        after = [stated[n] for n in order[order.index(name) + 1:] if stated[n]]
        if all(b <= guess for b in before) and all(guess <= a for a in after):
            stated[name] = guess
    postmortem.detected_at, postmortem.mitigated_at, postmortem.resolved_at = (stated[n] for n in order)


def _save_people_and_labels(postmortem, doc, options, lookups, report, *, new: bool) -> None:
    teams, tags, authors = _people_and_labels(doc, options, lookups, report)
    if not new:
        postmortem.teams.set(teams)
        postmortem.tags.set(tags)
        postmortem.authors.set(authors)
        return
    # A new post-mortem has no links yet: write them in one statement each.
    PostMortem.teams.through.objects.bulk_create(
        PostMortem.teams.through(postmortem=postmortem, team=team) for team in dict.fromkeys(teams))
    PostMortem.authors.through.objects.bulk_create(
        PostMortem.authors.through(postmortem=postmortem, user=user) for user in dict.fromkeys(authors))
    TaggedItem.objects.bulk_create(
        TaggedItem(tag=tag, content_type=lookups.postmortem_type, object_id=postmortem.pk) for tag in tags)


def _people_and_labels(doc, options, lookups, report) -> tuple[list, list, list]:
    """Return the teams, tags and authors the file names (creating teams and tags it needs)."""
    front = doc.front_matter
    team_keys = _list(front.get("teams") or front.get("team"))
    teams = []
    for key in team_keys:
        team, created = lookups.team(key)
        teams.append(team)
        if created:
            report.notes.append(f"created team {team.name!r}")
    if options.team and options.team not in teams:
        teams.append(options.team)
    if "tags" in front:
        names = _list(front.get("tags"))
    else:
        names = [doc.stats["category"].lower()] if doc.stats.get("category") else []
    for name in [name for name in names if len(name) > TAG_MAX_LENGTH]:
        report.notes.append(f"tag {name[:20]!r}… is longer than {TAG_MAX_LENGTH} characters; left out")
    names = [name for name in names if len(name) <= TAG_MAX_LENGTH]
    tags = list({tag.pk: tag for tag in (lookups.tag(name) for name in names)}.values())
    authors = []
    for username in _list(front.get("authors") or front.get("author")):
        user = lookups.user(username.lstrip("@"))
        if user is None:
            report.notes.append(f"no user {username!r}; not added as an author")
        else:
            authors.append(user)
    return teams, tags, authors


def _save_parts(postmortem: PostMortem, doc: Document, lookups: _Lookups, report: FileReport, *, new: bool) -> None:
    old_sections = [] if new else list(postmortem.sections.all())
    by_heading: dict[str, list[Section]] = {}
    for section in old_sections:
        by_heading.setdefault(section.heading, []).append(section)
    keep, create = [], []
    for position, (heading, body) in enumerate(doc.sections):
        template_section = lookups.template_section(postmortem.template, heading)
        reused = by_heading.get(heading, [])
        section = reused.pop(0) if reused else Section(postmortem=postmortem, heading=heading)
        section.position, section.body = position, body
        section.kind = template_section.kind if template_section else SectionKind.NARRATIVE
        section.guidance = template_section.guidance if template_section else ""
        section.required = template_section.required if template_section else False
        (keep if section.pk else create).append(section)
    if not new:
        Section.objects.filter(postmortem=postmortem).exclude(pk__in=[s.pk for s in keep]).delete()
        postmortem.timeline_events.all().delete()
        postmortem.factors.all().delete()
    if keep:
        Section.objects.bulk_update(keep, ["position", "body", "kind", "guidance", "required"])
    Section.objects.bulk_create(create)

    TimelineEvent.objects.bulk_create(
        TimelineEvent(postmortem=postmortem, occurred_at=e.occurred_at, kind=e.kind_guess,
                      description=e.description, evidence_url=e.evidence_url[:500])
        for e in doc.events
    )
    ContributingFactor.objects.bulk_create(
        ContributingFactor(postmortem=postmortem, category=lookups.category(f), description=f.description,
                           position=position)
        for position, f in enumerate(doc.factors)
    )
    _save_action_items(postmortem, doc, lookups, report, new=new)


def _save_action_items(postmortem: PostMortem, doc: Document, lookups: _Lookups, report: FileReport, *,
                       new: bool) -> None:
    old: dict[str, list[ActionItem]] = {}
    for item in [] if new else postmortem.action_items.all():
        old.setdefault(item.title, []).append(item)
    keep, create = [], []
    for parsed in doc.action_items:
        same_title = old.get(parsed.title, [])
        item = same_title.pop(0) if same_title else ActionItem(postmortem=postmortem, title=parsed.title)
        owner = lookups.user(parsed.owner) if parsed.owner else None
        description = parsed.description
        if parsed.owner and owner is None:
            report.notes.append(f"no user {parsed.owner!r} to own “{parsed.title[:40]}”; kept in its description")
            description = f"{description}\n\nOwner in the imported file: {parsed.owner}".strip()
        item.description, item.owner, item.due_date = description, owner, parsed.due_date
        item.priority, item.kind, item.tracker_url = parsed.priority, parsed.kind, parsed.tracker_url
        if item.status != parsed.status or item.wont_do_reason != parsed.wont_do_reason:
            item.set_status(parsed.status, parsed.wont_do_reason)
        if parsed.completed_on and item.completed_at:
            # Closed on the stated day (at noon there, never later than now).
            zone = doc.time_zone or zoneinfo.ZoneInfo(settings.TIME_ZONE)
            noon = datetime.combine(parsed.completed_on, time(12), tzinfo=zone)
            item.completed_at = min(noon, timezone.now())
        (keep if item.pk else create).append(item)
    if old:
        ActionItem.objects.filter(pk__in=[i.pk for items in old.values() for i in items]).delete()
    if keep:
        ActionItem.objects.bulk_update(keep, ["description", "owner", "due_date", "priority", "kind", "tracker_url",
                                              "status", "wont_do_reason", "completed_at"])
    ActionItem.objects.bulk_create(create)


def markdown_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Return the `*.md` files `paths` name (folders recursively, sorted), and reports for missing paths."""
    files, missing = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() == ".md"
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileReport(str(path), "failed", "no such file or folder"))
    return files, missing


def import_paths(paths: Iterable[str | Path], *, options: Options,
                 progress: Callable[[int, int, FileReport], None] | None = None) -> list[FileReport]:
    """Import every Markdown file under `paths`; one bad file is reported and the batch goes on."""
    files, reports = markdown_files(paths)
    lookups = _Lookups(options.template)
    # Files are committed in groups (each file in its own savepoint, so a bad one rolls back alone):
    # one commit per file would cost more than the file's own writes on SQLite.
    for start in range(0, len(files), COMMIT_EVERY):
        with transaction.atomic():
            for index, path in enumerate(files[start:start + COMMIT_EVERY], start=start + 1):
                report = import_file(path, options=options, lookups=lookups)
                reports.append(report)
                if progress:
                    progress(index, len(files), report)
    return reports


__all__ = ["BadFile", "Document", "FileReport", "Options", "import_file", "import_paths", "read_document"]
