"""Language rules compiled for matching (pure; no Django).

Rules are data (`LanguageRule` rows, passed in here as dicts): a phrase matched as whole words in
any case, or a Python regular expression (compiled with IGNORECASE and MULTILINE). Two
placeholders let a rule speak about people without listing them:

- ``{name}``: a person's name (see postmortems/coach/people.py). Rules with ``{name}`` are
  skipped when the texts mention nobody.
- ``{person}``: a person in any form: a pronoun (I, we, he, she, you, someone...), a role ("the
  on-call engineer", "the payments team") or a ``{name}``. "They" and "it" are left out on
  purpose: in post-mortems they mostly stand for machines ("they failed to rejoin the cluster").

A rule may put the part to highlight in a group named ``hit``; otherwise the whole match is the
finding.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from re import _constants as sre_constants
from re import _parser as sre_parse

from postmortems.coach.people import NEVER, PERSON_WORDS, PLACEHOLDER_RE, REGEX_FLAGS, _names_alternation

logger = logging.getLogger(__name__)

def pattern_source(pattern: str, is_regex: bool) -> str:
    """Return the regular expression for a rule's pattern: a phrase becomes whole words in any spacing."""
    if is_regex:
        return pattern
    words = pattern.strip().split()
    if not words:
        raise ValueError("The pattern is empty.")
    parts = []
    for word in words:
        escaped = re.escape(word).replace("'", "['’]").replace("’", "['’]").replace(r"\-", r"[\s-]?")
        escaped = escaped.replace(r"\{name\}", "{name}").replace(r"\{person\}", "{person}")
        parts.append(escaped)
    source = r"\s+".join(parts)
    return r"(?<![\w-])" + source + r"(?![\w])"


def _expand(source: str, names_alternation: str) -> str:
    name = names_alternation or NEVER
    person = "(?:" + PERSON_WORDS + "|" + name + ")"

    def replace(match):
        return name if match.group(1) == "name" else person

    return PLACEHOLDER_RE.sub(replace, source)




def compile_pattern(pattern: str, is_regex: bool, names: Iterable[str] = ()) -> re.Pattern:
    """Return the compiled regular expression for a rule; raise ValueError when it is not valid."""
    source = pattern_source(pattern, is_regex)
    try:
        return re.compile(_expand(source, _names_alternation(names)), REGEX_FLAGS)
    except re.error as exc:
        raise ValueError(f"Not a valid regular expression: {exc}") from None


def pattern_error(pattern: str, is_regex: bool) -> str | None:
    """Return why a rule's pattern cannot be used, or None when it is fine (for admin validation)."""
    try:
        regex = compile_pattern(pattern, is_regex, names=("Example",))
    except ValueError as exc:
        return str(exc)
    if regex.search("") is not None:
        return "The pattern matches empty text, so it would flag everything."
    return None


def _top_level_alternatives(source: str) -> list[str]:
    """Split a regular expression on the | that are outside groups and character classes."""
    parts, depth, in_class, escaped, start = [], 0, False, False, 0
    for i, char in enumerate(source):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts


def required_literals(source: str, flags: int = REGEX_FLAGS) -> frozenset[str] | None:
    """Return lowercase strings of which every match of `source` contains at least one, or None.

    The coach runs a rule's regular expression only on paragraphs that contain one of these
    strings: a substring test is far cheaper than a case-insensitive regular expression scan.
    """
    try:
        parsed = sre_parse.parse(source, flags)
    except re.error:
        return None
    return _required(parsed.data)


def _strength(literals: frozenset[str]) -> tuple[int, int]:
    return (min(len(x) for x in literals), -len(literals))


def _required(items) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(candidate):
        nonlocal best
        if candidate and all(candidate) and (best is None or _strength(candidate) > _strength(best)):
            best = candidate

    for op, av in items:
        if op is sre_constants.LITERAL:
            run.append(chr(av).lower())
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        if op is sre_constants.SUBPATTERN:
            consider(_required(av[-1]))
        elif op is sre_constants.ATOMIC_GROUP:
            consider(_required(av))
        elif op is sre_constants.BRANCH:
            branches = [_required(branch) for branch in av[1]]
            if all(b is not None for b in branches):
                consider(frozenset().union(*branches))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                consider(_required(av[2]))
        elif op is sre_constants.IN and all(o is sre_constants.LITERAL for o, _ in av):
            consider(frozenset(chr(c).lower() for _, c in av))
    if run:
        consider(frozenset(["".join(run)]))
    return best


@dataclass
class Matcher:
    """A compiled rule pattern and the literals a sentence must contain for it to match."""

    regex: re.Pattern
    literals: frozenset[str] | None


def _matcher(source: str, names_alternation: str) -> Matcher:
    expanded = _expand(source, names_alternation)
    return Matcher(re.compile(expanded, REGEX_FLAGS), required_literals(expanded))


@dataclass
class CompiledRule:
    slug: str
    category: str
    message: str
    suggestion: str
    kinds: frozenset | None
    source: str
    needs_names: bool
    only_with_names: bool
    _matchers: dict = field(default_factory=dict, repr=False)
    yields = False  # whether its findings give way to overlapping ones of rule rows (see engine)
    rewrites = False  # whether `rewrite_for(match)` writes each finding's suggestion
    reads_sentence = False  # whether `finditer` needs the sentence in lower case

    def applies_to(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def matcher(self, names_alternation: str) -> Matcher:
        key = names_alternation if self.needs_names else ""
        matcher = self._matchers.get(key)
        if matcher is None:
            if len(self._matchers) > 64:
                self._matchers.clear()
            matcher = self._matchers[key] = _matcher(self.source, key)
        return matcher

    @property
    def regex(self) -> re.Pattern:
        return self.matcher("").regex

    def finditer(self, regex: re.Pattern, text: str, start: int, end: int, lowered: str) -> Iterable[re.Match]:
        """Yield the matches in the sentence text[start:end] (`lowered`: the sentence in lower case, when
        `reads_sentence`)."""
        return regex.finditer(text, start, end)

    def accepts(self, match: re.Match, names: frozenset[str]) -> bool:
        """Whether `match` is a finding (`names`: the people the texts name). A rule row's always is;
        the built-in sentence-structure rules (postmortems/coach/structure.py) look closer."""
        return True


def compile_rule(*, slug, pattern, is_regex, category, message, suggestion, section_kinds) -> CompiledRule:
    source = pattern_source(pattern, is_regex)
    rule = CompiledRule(
        slug=slug,
        category=category,
        message=message,
        suggestion=suggestion,
        kinds=frozenset(section_kinds) if section_kinds else None,
        source=source,
        needs_names=bool(PLACEHOLDER_RE.search(source)),
        # When every alternative starts with a {name}, the rule is skipped for texts naming nobody.
        only_with_names=all(alt.startswith("{name}") for alt in _top_level_alternatives(source)),
    )
    try:
        rule.matcher("")  # compile now, so a broken pattern shows when the rules load
    except re.error as exc:
        raise ValueError(f"Not a valid regular expression: {exc}") from None
    return rule


_RULES_FIELDS = ("slug", "pattern", "is_regex", "category", "message", "suggestion", "section_kinds")


def compile_rules(rows: Iterable[dict]) -> list[CompiledRule]:
    """Compile rule rows (dicts with the LanguageRule fields); a broken rule is logged and skipped."""
    rules = []
    for row in rows:
        try:
            rules.append(compile_rule(**{f: row[f] for f in _RULES_FIELDS}))
        except (ValueError, re.error) as exc:
            logger.warning("Language rule %s is skipped: %s", row.get("slug"), exc)
    return rules

