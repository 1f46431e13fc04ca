"""Checking texts: masking, sentences, and running the rules over them (pure; no Django).

`check_texts` is the one entry point for a set of texts (a post-mortem, an editor's draft, a
Markdown file); `check_text` checks one free text (a review comment, say). Rules match within a
sentence: never across a blank line or a sentence end (". "). Quoted speech ("..." and “...”),
block quotes, code and links are never checked: they record what someone said or what a machine
printed, not how the write-up tells the story.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from postmortems.coach.patterns import CompiledRule, compile_pattern
from postmortems.coach.people import _names_alternation, _names_present, _usable_names
from postmortems.kinds import TEXT_KINDS

KINDS = tuple(TEXT_KINDS)  # the kinds of text, listed once in postmortems/kinds.py
MAX_FINDING_TEXT = 300
# Where a finding can be kept with a reason: saved texts. Rows new in a pending amendment have
# negative ids until it is published.
LOCATION_RE = re.compile(r"^(?:title|summary|(?:section|timeline|factor|action):-?\d+)$")


@dataclass(frozen=True)
class Finding:
    """One flagged phrase: where it is, which rule found it, and what to write instead."""

    location: str
    start: int
    end: int
    text: str
    rule_slug: str
    category: str
    message: str
    suggestion: str


@dataclass(frozen=True)
class ActionFacts:
    """What the action-item checks need to know about one action item."""

    location: str
    text: str
    priority: str
    has_owner: bool
    has_due_date: bool
    is_open: bool = True


# ---------------------------------------------------------------------------------------------
# Structural action-item checks: not phrases, so not LanguageRule rows.

HIGH_PRIORITY_NO_OWNER = "high-priority-without-owner"
HIGH_PRIORITY_NO_DUE_DATE = "high-priority-without-due-date"
STRUCTURAL_RULES = {
    HIGH_PRIORITY_NO_OWNER: (
        "A high-priority action item without an owner tends to stay open: nobody is holding it.",
        "Give it an owner who can follow it up (ownership of the follow-up, not blame).",
    ),
    HIGH_PRIORITY_NO_DUE_DATE: (
        "A high-priority action item without a due date has no point at which anyone notices it slipping.",
        "Set a due date, even a rough one, so it shows up as overdue if it slips.",
    ),
}



_MASK_RES = (
    re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL),
    re.compile(r"``[^\n]+?``|`[^`\n]+`"),
    re.compile(r"^[ \t]*>[^\n]*$", re.MULTILINE),
    re.compile(r"\]\([^)\s]*\)|<https?://[^>\s]+>|https?://\S+"),
    re.compile(r"\"[^\"\n]{1,600}\"|“[^”]{1,600}”|‘[^‘’\n]{1,300}’|«[^»]{1,600}»"),
)
_EMPHASIS_RE = re.compile(r"\*+|(?<!\w)_+|_+(?!\w)")


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def mask(text: str) -> str:
    """Return `text` with quoted speech, block quotes, code and links blanked out (same length)."""
    if any(c in text for c in "`>\"“‘«h]"):
        for regex in _MASK_RES:
            text = regex.sub(_blank, text)
    if "*" in text or "_" in text:
        text = _EMPHASIS_RE.sub(lambda m: " " * len(m.group()), text)
    return text


def _span(match: re.Match) -> tuple[int, int]:
    if "hit" in match.re.groupindex and match.group("hit") is not None:
        return match.span("hit")
    return match.span()



PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each paragraph."""
    spans, start = [], 0
    if "\n" in text:
        for match in PARAGRAPH_BREAK_RE.finditer(text):
            spans.append((start, match.start()))
            start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _lower(text: str) -> str:
    """Return `text` in lower case with the same length, so offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# A sentence ends at . ! ? ; after a word (not after "1." of a numbered list or "02:00.") and a space.
SENTENCE_BREAK_RE = re.compile(r"[.!?;](?<=[^\W\d_)\]\"'’”][.!?;])[\s\u00a0]+")


@dataclass(frozen=True)
class _Sentence:
    start: int  # in the joined, lowered document
    end: int
    text_index: int
    local_start: int
    local_end: int


class _Document:
    """The texts of one check, masked, lowered and joined, with an index of their sentences.

    No rule matches across a sentence break or a blank line, so each rule runs only on the
    sentences that contain one of its required literals (see `required_literals`).
    """

    def __init__(self, masked_texts: dict[int, str]):
        parts, sentences, offset = [], [], 0
        for index, masked in masked_texts.items():
            for start, end in _paragraphs(masked):
                for match in SENTENCE_BREAK_RE.finditer(masked, start, end):
                    sentences.append(_Sentence(offset + start, offset + match.start() + 1, index, start,
                                               match.start() + 1))
                    start = match.end()
                if end > start:
                    sentences.append(_Sentence(offset + start, offset + end, index, start, end))
            lowered = _lower(masked)
            parts.append(lowered)
            offset += len(lowered) + 2
        self.lowered = "\n\n".join(parts)
        self.sentences = sentences
        self.starts = [s.start for s in sentences]
        self._found: dict[str, set[int]] = {}

    def sentences_with(self, literals: frozenset[str] | None) -> Iterable[_Sentence]:
        """Yield the sentences that contain one of `literals` (all of them when there is no usable literal)."""
        if literals is None or min(len(x) for x in literals) < 2:
            return self.sentences
        found: set[int] = set()
        for literal in literals:
            found |= self._sentences_containing(literal)
        return [self.sentences[index] for index in sorted(found)]

    def _sentences_containing(self, literal: str) -> set[int]:
        found = self._found.get(literal)
        if found is None:
            found = self._found[literal] = set()
            find, sentences, starts = self.lowered.find, self.sentences, self.starts
            position = find(literal)
            while position != -1:
                index = bisect.bisect_right(starts, position) - 1
                if index >= 0 and position < sentences[index].end:
                    found.add(index)
                    position = find(literal, sentences[index].end)
                else:
                    position = find(literal, position + 1)
        return found


def check_texts(
    texts: Sequence[tuple[str, str, str]], *, rules: Sequence[CompiledRule], names: Iterable[str] = ()
) -> list[Finding]:
    """Return the findings in `texts`, a list of (location, kind, text), ordered by text then position.

    `names` are the names of Hindsight users (first names, last names, usernames); names written in
    the texts themselves are found too. Unknown kinds are checked as narrative.
    """
    texts = [(location, kind if kind in KINDS else "narrative", text) for location, kind, text in texts]
    masked = [mask(text) for _, _, text in texts]
    present = frozenset(_names_present("\n".join(masked), _usable_names(names)))
    alternation = _names_alternation(present)
    document = _Document(dict(enumerate(masked)))
    kinds_present = {kind for _, kind, _ in texts}
    found: list[list[Finding]] = [[] for _ in texts]
    rewrites: dict[int, tuple] = {}
    for rule in rules:
        if rule.only_with_names and not alternation:
            continue
        if rule.kinds is not None and rule.kinds.isdisjoint(kinds_present):
            continue
        matcher = rule.matcher(alternation)
        for sentence in document.sentences_with(matcher.literals):
            index = sentence.text_index
            location, kind, text = texts[index]
            if not rule.applies_to(kind):
                continue
            lowered = document.lowered[sentence.start:sentence.end] if rule.reads_sentence else ""
            for match in rule.finditer(matcher.regex, masked[index], sentence.local_start, sentence.local_end, lowered):
                start, end = _span(match)
                if end > start and rule.accepts(match, present):
                    finding = Finding(location=location, start=start, end=end, text=text[start:end],
                                      rule_slug=rule.slug, category=rule.category, message=rule.message,
                                      suggestion=rule.suggestion)
                    found[index].append(finding)
                    if rule.rewrites:
                        rewrites[id(finding)] = (rule, match)
    yielding = frozenset(rule.slug for rule in rules if rule.yields)
    kept = [finding for per_text in found for finding in _without_overlaps(per_text, yielding)]
    # A rewrite is written only for the findings that are kept (writing one costs more than finding one).
    return [replace(f, suggestion=rewrites[id(f)][0].rewrite_for(rewrites[id(f)][1])) if id(f) in rewrites else f
            for f in kept]


def _without_overlaps(found: list[Finding], yielding: frozenset[str] = frozenset()) -> list[Finding]:
    """Drop a finding that overlaps an earlier or longer one of the same category in the same text.

    Findings of `yielding` rules (the built-in sentence-structure rules) give way to any overlapping
    finding of a rule row, so a phrase is flagged once.
    """
    kept: list[Finding] = []
    ordered = sorted(found, key=lambda f: (f.rule_slug in yielding, f.start, -(f.end - f.start), f.rule_slug))
    for finding in ordered:
        yields = finding.rule_slug in yielding
        if any((k.category == finding.category or (yields and k.rule_slug not in yielding))
               and k.start < finding.end and finding.start < k.end for k in kept):
            continue
        kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, -(f.end - f.start), f.rule_slug)) if yielding else kept


def check_action_items(items: Iterable[ActionFacts]) -> list[Finding]:
    """Return the structural findings for open action items: high priority needs an owner and a due date."""
    findings = []
    for item in items:
        if not item.is_open or item.priority != "high":
            continue
        first_line = (item.text.strip().splitlines() or [""])[0]
        text = first_line[:MAX_FINDING_TEXT]
        start = item.text.find(first_line) if first_line else 0
        for slug, missing in ((HIGH_PRIORITY_NO_OWNER, not item.has_owner),
                              (HIGH_PRIORITY_NO_DUE_DATE, not item.has_due_date)):
            if missing:
                message, suggestion = STRUCTURAL_RULES[slug]
                findings.append(
                    Finding(
                        location=item.location,
                        start=max(start, 0),
                        end=max(start, 0) + len(text),
                        text=text,
                        rule_slug=slug,
                        category="action_quality",
                        message=message,
                        suggestion=suggestion,
                    )
                )
    return findings




def check_text(text: str, *, rules: Sequence[CompiledRule], kind: str = "narrative", names: Iterable[str] = ()
               ) -> list[Finding]:
    """Return the findings in one free text (a review comment, a chat message), located as "text"."""
    if not text or not text.strip():
        return []
    return check_texts([("text", kind, text)], rules=rules, names=names)


def pattern_spans(pattern: str, is_regex: bool, text: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans a rule's pattern flags in `text`, as a real check would.

    Names are the ones `text` itself shows to be people; quoted speech and code are skipped.
    Raises ValueError when the pattern is not a valid regular expression.
    """
    masked = mask(text)
    regex = compile_pattern(pattern, is_regex, names=_names_present(masked, frozenset()))
    spans = [_span(m) for m in regex.finditer(masked)]
    return [(start, end) for start, end in spans if end > start]
