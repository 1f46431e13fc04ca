"""People in a text: names, roles and the pronouns that stand for a person (pure; no Django).

A name is the name of a Hindsight user (passed in by the caller) or a capitalised word the
document itself uses as a person: a common given name, or a word written where only a person
fits ("Dave said", "asked Dave", "Dave, the on-call engineer", "Zed forgot to"). Technical words
(Kubernetes, Postgres, Redis...) are never names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from postmortems.coach.words import GIVEN_NAMES, NOT_NAMES, TECH_WORDS

ROLE_NOUNS = (
    r"(?:engineers?|operators?|on[\s-]?call(?:\s+(?:engineers?|persons?|people|responders?))?|developers?|devs?"
    r"|SREs?|admins?|administrators?|reviewers?|authors?|responders?|deployers?|teams?|people|persons?"
    r"|individuals?|staff|DBAs?|colleagues?|team[\s-]?mates?|ICs?|incident\s+commanders?|managers?|leads?"
    r"|contractors?|interns?|new\s+hires?|employees?|juniors?|seniors?|humans?)"
)
PERSON_WORDS = (
    r"\b(?:I|we|he|she|you|someone|somebody|nobody|no[\s-]one|anyone|anybody|everyone|everybody)\b"
    r"|\b(?:the|an?|our|their|his|her|that|this|one|another|every|each)\s+(?:[\w-]+\s+)?" + ROLE_NOUNS + r"\b"
    r"|\bon[\s-]?call\b"
    r"|\b(?:engineers?|operators?|developers?|reviewers?|deployers?|SREs?|admins?|responders?|DBAs?)\b"
)
NEVER = r"(?!x)x"  # a pattern that matches nothing
PLACEHOLDER_RE = re.compile(r"\{(name|person)\}")
REGEX_FLAGS = re.IGNORECASE | re.MULTILINE

# Patterns here start with a character class (no \b, no IGNORECASE) so that re can skip ahead fast.
UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
CAPITALISED_WORD_RE = re.compile(rf"[{UPPER}](?<![\w@].)[^\W\d_]*")
HANDLE_RE = re.compile(r"@[^\W\d_][\w.-]*\w")
# "asked Dave", "thanks to Dave": look-behinds after the capital, so the search still starts on a capital.
_ADDRESSED_BY = "|".join(
    rf"(?<={word}\s.)"
    for word in ("asked", "told", "paged", "pinged", "messaged", "thanked", r"[Tt]hanks\sto", "cc['’]d", "ccd")
)
PERSON_EVIDENCE_RES = (
    re.compile(
        rf"([{UPPER}](?<![\w@].)[^\W\d_]*)\s+(?:said|says|told|asked|wrote|replied|explained|wondered|agreed|suggested"
        r"|mentioned|apologi[sz]ed|volunteered|joined\s+the\s+(?:call|bridge|channel)|was\s+on[\s-]?call"
        r"|forgot|decided|assumed|reali[sz]ed|thought|believed|admitted|promised|noticed|was\s+told"
        r"|is\s+on[\s-]?call|was\s+paged|got\s+paged|and\s+I\b)"
    ),
    re.compile(rf"([{UPPER}](?:{_ADDRESSED_BY})[^\W\d_]*)\b"),
    re.compile(rf"([{UPPER}](?<![\w@].)[^\W\d_]*),\s+(?:the|our|an?|who\s+was)\s+(?:[\w-]+\s+)?" + ROLE_NOUNS),
    re.compile(rf"([{UPPER}](?<![\w@].)[^\W\d_]*)['’]s\s+(?:laptop|shift|manager|pager|phone|terminal|account|handover|desk)\b"),
)


def _is_name_shaped(word: str) -> bool:
    lowered = word.lower()
    return lowered not in TECH_WORDS and lowered not in NOT_NAMES


def names_in(texts: Iterable[str]) -> set[str]:
    """Return the capitalised words the texts use as people's names (see the module docstring)."""
    joined = "\n".join(text for text in texts if text)
    return _shown_names(joined, set(CAPITALISED_WORD_RE.findall(joined)))


def _shown_names(text: str, capitalised: set[str]) -> set[str]:
    found = {word for word in capitalised if word in GIVEN_NAMES and _is_name_shaped(word)}
    for regex in PERSON_EVIDENCE_RES:
        for match in regex.finditer(text):
            word = match.group(1)
            if word[:1].isupper() and _is_name_shaped(word):
                found.add(word)
    return found


def _usable_names(names: Iterable[str]) -> frozenset[str]:
    """Keep the names worth matching: capitalised names as written, and usernames as @handles.

    A lowercase username such as "deploy" or "ops" would flag ordinary words, so usernames count
    only when written as "@deploy". Capitalised technology words are never names.
    """
    usable = set()
    for raw in names:
        for name in str(raw).split():
            name = name.strip()
            if len(name.lstrip("@")) < 2:
                continue
            if name.startswith("@"):
                usable.add(name)
            elif name[0].isupper() and _is_name_shaped(name):
                usable.add(name)
            else:
                usable.add("@" + name)
    return frozenset(usable)




def _names_present(masked_joined: str, known: frozenset[str]) -> set[str]:
    """Return the names worth compiling into {name}: known names the texts contain, and names they show."""
    capitalised = set(CAPITALISED_WORD_RE.findall(masked_joined))
    present = _shown_names(masked_joined, capitalised)
    if known:
        present |= capitalised & known
        if "@" in masked_joined:
            present |= set(HANDLE_RE.findall(masked_joined)) & known
    return present



def _names_alternation(names: Iterable[str]) -> str:
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    if not ordered:
        return ""
    return r"(?<![\w@])(?-i:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])"


