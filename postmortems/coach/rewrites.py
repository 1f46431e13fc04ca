"""Blameless rewrites for the sentence-structure findings: the sentence without the person as the cause.

Each rewrite keeps the sentence's facts (what happened to what, when) and drops the agent and the
marks of fault: "Dana truncated the audit table" becomes "The audit table was truncated.", followed
by a prompt for what made it possible. Pure Python; called by postmortems/coach/structure.py.
"""

from __future__ import annotations

import re

from postmortems.coach.words import ACTION_VERBS, HARM_VERBS, NEUTRAL_VERBS, SKIP_VERBS

FAULT_ADVERBS = ("accidentally mistakenly inadvertently wrongly erroneously unintentionally hastily blindly "
                 "unilaterally").split()  # "carelessly", "recklessly": the rule rows own those words
BOUNDARY = re.compile(
    r"\b(?:during|while|in|on|at|by|without|before|after|instead|because|when|and|but|which|so|to|for|from"
    r"|with|into|despite|since|as|until|even|although|though|then|that|who|again|anyway|twice|once)\b"
    r"|\d{1,2}:\d{2}|[,:;()—–]",
    re.IGNORECASE,
)
INTRANSITIVE = {"waited": "wait", "looked": "look", "escalated": "escalate", "asked": "ask", "refused": "refuse",
                "questioned": "question it", "paged": "page", "reverted": "revert", "checked": "check",
                "tested": "test", "stopped": "stop", "raised": "raise it", "flagged": "flag it", "known": "know"}
POSSESSIVES = {"his": "the", "her": "the", "their": "the", "my": "the", "your": "the", "our": "the"}



def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,")
    return text[:1].upper() + text[1:] if text else text


def _sentence_end(text: str) -> str:
    text = _clean(text).rstrip(".!?; ")
    return text + "." if text else text


def _split_object(rest: str) -> tuple[str, str]:
    """Split what follows a verb into its object ("the audit table") and the rest ("during the migration")."""
    rest = rest.rstrip()
    stop = BOUNDARY.search(rest)
    obj, tail = (rest[:stop.start()], rest[stop.start():]) if stop else (rest, "")
    if tail[:1].isalnum():
        tail = " " + tail
    words = obj.split()
    if words and words[0].lower() in POSSESSIVES:
        words[0] = POSSESSIVES[words[0].lower()]
    return " ".join(words).rstrip(".!?;"), tail


def _without_faults(tail: str) -> str:
    tail = re.sub(r"\s*\b(?:by\s+(?:mistake|accident)|in\s+error)\b", "", tail, flags=re.IGNORECASE)
    return re.sub(r"\s*\b(?:" + "|".join(FAULT_ADVERBS) + r")\b", "", tail, flags=re.IGNORECASE)


def _sentence_start(match: re.Match, before: int) -> int:
    text = match.string
    found = [(text.rfind(mark, 0, before), mark) for mark in (". ", "! ", "? ", "; ", "\n")]
    return max([position + len(mark) for position, mark in found if position != -1] + [0])


def _prefix(match: re.Match) -> str:
    """The words of the sentence before the agent ("At 14:02, "), kept in the rewrite."""
    agent = match.start("agent")
    return match.string[_sentence_start(match, agent):agent]


def verb_of(match: re.Match) -> str:
    return next(v for v in (match.groupdict().get(g) for g in ("verb", "verb2", "verb3")) if v)


def rest_after_verb(match: re.Match) -> str:
    end = max(match.end(g) for g in ("verb", "verb2", "verb3") if match.groupdict().get(g))
    return match.string[end:match.endpos]


def _passive(match: re.Match, participle: str, *, negated: bool = False) -> str:
    obj, tail = _split_object(rest_after_verb(match))
    tail = _without_faults(tail)
    verb = f"was not {participle}" if negated else f"was {participle}"
    if obj:
        return _sentence_end(f"{_prefix(match)}{obj} {verb}{tail}")
    return _sentence_end(f"{_prefix(match)}it {verb}{tail}")


def _quote(rewrite: str, then: str) -> str:
    return f"“{rewrite}” {then}"


def rewrite_harm(match: re.Match) -> str:
    verb = re.sub(r"[\s-]+", " ", verb_of(match).lower())
    participle = HARM_VERBS.get(verb) or NEUTRAL_VERBS.get(verb) or verb
    return _quote(_passive(match, participle),
                  "Then say what made the action possible: the guard, prompt or check that was missing.")


def rewrite_not_done(match: re.Match) -> str:
    base = re.sub(r"[\s-]+", " ", verb_of(match).lower())
    base = next((b for b, p in ACTION_VERBS.items() if p == base), base)
    participle = ACTION_VERBS.get(base) or next((p for b, p in ACTION_VERBS.items() if p == base), base)
    obj, tail = _split_object(rest_after_verb(match))
    if obj:
        rewrite = _sentence_end(f"{_prefix(match)}{obj} was not {participle}{tail}")
    else:
        rewrite = _sentence_end(f"{_prefix(match)}nothing prompted anyone to {base}{tail}")
    return _quote(rewrite, "Then say what was meant to prompt the step (a reminder, an alert, a checklist) "
                           "and why it did not.")


def rewrite_skip(match: re.Match) -> str:
    verb = verb_of(match).lower()
    return _quote(_passive(match, SKIP_VERBS.get(verb, verb)),
                  "Then say what made that the workable choice at the time: load, noise, time pressure, tooling.")


def rewrite_passive(match: re.Match) -> str:
    start = _sentence_start(match, match.start())
    sentence = match.string[start:match.endpos]
    by_start, by_end = match.start("by") - start, match.end("agent") - start
    rewrite = _without_faults(sentence[:by_start]) + _without_faults(sentence[by_end:])
    return _quote(_sentence_end(rewrite), "Then say what let the change through: the review, canary or check "
                                          "that was missing or did not apply.")


def rewrite_fault(match: re.Match) -> str:
    offset = _sentence_start(match, match.start())
    sentence = match.string[offset:match.endpos]
    start, end = match.start("agent") - offset, match.end("noun") - offset
    rewrite = sentence[:start] + "a slip the process made easy" + sentence[end:]
    return _quote(_sentence_end(rewrite), "Then name the step that went wrong and what made it easy to get wrong.")


def rewrite_trait(match: re.Match) -> str:
    topic = (match.group("topic") or "").strip()
    if topic:
        obj, _ = _split_object(topic)
        rewrite = f"{_clean(obj or topic)} got less attention than it needed."
    else:
        rewrite = f"{_clean(match.group('agent'))} worked under conditions that made this easy to miss."
    return _quote(rewrite, "Then say what made it so: time pressure, workload, missing tools or training.")


def rewrite_trait_in(match: re.Match) -> str:
    group = _clean(match.group("group"))
    return _quote(f"{group} did not have the knowledge or support the situation needed.",
                  "Then say which knowledge, and how people were expected to get it.")


def rewrite_hindsight(match: re.Match) -> str:
    groups = match.groupdict()
    act_group = "act" if groups.get("act") else "act2" if groups.get("act2") else None
    if act_group:
        act = groups[act_group]
        obj, tail = _split_object(match.string[match.end(act_group):match.endpos])
        base = INTRANSITIVE.get(act.lower())
        if base and (not obj or obj.lower() in ("it", "this", "that")):
            rewrite = _sentence_end(f"nothing at the time prompted anyone to {base}{tail}")
        else:
            rewrite = _sentence_end(f"{obj or 'it'} was not {act.lower()} at the time{tail}")
        return _quote(rewrite, "Then describe what was known at that moment and what made the step look "
                               "unnecessary, instead of what someone could have done.")
    return ("Describe what was known at the time and what the situation asked for, instead of what someone "
            "could or should have seen: e.g. “The warning was one of 40 in the channel that hour, and nothing "
            "marked it as different.”")
