"""Blame carried by sentence structure, with a blameless rewrite for each finding (pure; no Django).

The rule rows catch blaming words ("careless", "human error"). These built-in rules read how a
sentence is built instead:

- a person (a name the texts use as a person, a role, a group, "he" or "she") as the agent of a
  harmful action ("Dana truncated the audit table"), of an everyday action marked as a fault
  ("Lee pushed the config without review"), or of a failure to act ("Zed forgot to renew the
  certificate", "the night shift skipped the check"), and the same in the passive ("the config was
  pushed by Lee without a canary");
- fault or character attributed to people ("the operator's mistake", "the release team was lazy
  about testing", "complacency in the on-call rotation");
- hindsight about people ("the night shift should have checked", "a check anyone could do", "had
  every chance to", "despite being warned").

Systems as subjects ("the cron job truncated the table"), neutral actions by roles ("the incident
commander paged the database team"), planned or remedial actions ("deleted the stale lock to
unblock writes"), credit and descriptions of missing safeguards are left alone. "We" and "someone"
are left alone too: a team owning its actions is the blameless norm, and who "someone" was is not
said. Each finding's suggestion is the sentence rewritten without the person as the cause, keeping
its facts (postmortems/coach/rewrites.py).

These rules give way to the rule rows: a phrase a rule row flags is flagged once, by the row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from postmortems.coach.patterns import CompiledRule, Matcher
from postmortems.coach.people import ROLE_NOUNS, UPPER
from postmortems.coach.rewrites import (
    FAULT_ADVERBS,
    rest_after_verb,
    rewrite_fault,
    rewrite_harm,
    rewrite_hindsight,
    rewrite_not_done,
    rewrite_passive,
    rewrite_skip,
    rewrite_trait,
    rewrite_trait_in,
    verb_of,
)
from postmortems.coach.words import (
    ACTION_VERBS,
    FAULT_NOUNS,
    GIVEN_NAMES,
    GROUP_NOUNS,
    HARM_PARTICIPLES,
    HARM_VERBS,
    NEUTRAL_PARTICIPLES,
    NEUTRAL_VERBS,
    NOT_NAMES,
    NOT_PEOPLE,
    SKIP_VERBS,
    TECH_WORDS,
    TRAIT_NOUNS,
    TRAITS,
)

WRITING = frozenset({"summary", "impact", "narrative", "lessons", "supporting", "timeline", "factor"})


def _words(items) -> str:
    """An alternation of words or phrases, longest first, spaces matching any whitespace or a hyphen."""
    ordered = sorted(set(items), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?") for w in ordered) + ")"


LOWER = "a-zß-öø-ÿ"
CAP = rf"(?-i:[{UPPER}][{LOWER}]+)"
NAME = rf"(?P<name>{CAP}(?:\s+{CAP})?|@[\w.-]*\w)(?!['’\w])"
GROUP = rf"(?:{ROLE_NOUNS}|{_words(GROUP_NOUNS)})"
ROLE = (rf"(?P<role>\b(?:the|an?|our|their|one\s+of\s+(?:the|our)|another|two|several|some|every)\s+"
        rf"(?:[\w-]+\s+){{0,2}}?{GROUP}(?!['’\w-]))")
BARE_ROLE = (r"(?P<bare>\b(?:engineers|operators|developers|admins|SREs|DBAs|reviewers|contractors"
             r"|on[\s-]?call(?:\s+(?:engineers?|SREs?))?|(?-i:IC|SRE|DBA))\b)")
PRONOUN = r"(?P<pronoun>\b(?:he|she)\b)"
AGENT = rf"(?P<agent>{ROLE}|{BARE_ROLE}|{PRONOUN}|{NAME})"
ROLE_POSSESSIVE = (rf"(?P<role>\b(?:the|an?|our|their|another)\s+(?:[\w-]+\s+){{0,2}}?{GROUP}(?=['’]))")
NAME_POSSESSIVE = rf"(?P<name>{CAP}(?:\s+{CAP})?|@[\w.-]*\w)(?=['’]s\b)"
OBJECT_AGENT = rf"(?P<agent>{ROLE}|{NAME}|(?P<pronoun>\b(?:him|her)\b))"
ADVERB = r"(?:\s+(?P<adverb>\w+ly|then|also|just|simply|later|still|again|even|quickly|manually))?"
REST = r"(?=(?P<rest>[^\n]*))"

FAULT_MARK_RE = re.compile(
    r"\b(?:by\s+(?:mistake|accident)|accidentally|mistakenly|inadvertently|in\s+error|erroneously|unintentionally"
    r"|without\s+(?:first\s+|even\s+|properly\s+|any\s+|a\s+|an\s+|the\s+|proper\s+|peer\s+|code\s+)*"
    r"(?:testing|tests?|tested|review(?:ing)?|reviews?|checking|checks?|approval|sign[\s-]?off|canar(?:y|ies)"
    r"|dry[\s-]?runs?|backups?|backing\s+up|telling|asking|waiting|warning|verifying|verification|looking"
    r"|reading|thinking|permission|consulting)\b"
    r"|untested|unreviewed|\bthe\s+wrong\b|\binstead\s+of\b|against\s+(?:the|our)\s+(?:advice|policy|process|rules?|runbook|guidance)"
    r"|\banyway\b|\bdespite\b)",
    re.IGNORECASE,
)
# Planned, remedial or cleaning-up actions: the same verbs, no harm done by the person.
REMEDY_RE = re.compile(
    r"\b(?:to\s+(?:recover|restore|unblock|unstick|free|release|clear|mitigate|stop|fix|resolve|relieve|drain"
    r"|reclaim|get|bring|let|allow|make|resume|roll|revert|undo|reduce|contain|protect|save|speed|end|limit)"
    r"|which\s+(?:fixed|resolved|cleared|unblocked|restored|stopped|freed|ended)"
    r"|and\s+(?:writes?|traffic|the\s+\w+|requests|jobs|replication|it|things|service)\s+(?:resumed|recovered"
    r"|came\s+back|drained|cleared|caught\s+up|started|flowed|returned)"
    r"|as\s+(?:planned|scheduled|agreed|intended|expected|instructed|documented|part\s+of|a\s+(?:workaround|mitigation))"
    r"|(?:per|following|according\s+to)\s+the\s+(?:runbook|plan|procedure|playbook|checklist)"
    r"|(?:stale|orphaned|unused|old|leftover|dangling|obsolete|expired|duplicate|broken|stuck|corrupt(?:ed)?)\s+\w)",
    re.IGNORECASE,
)
# A reason or a decision after "did not": a choice explained, not a failure to act.
REASONED_RE = re.compile(
    r"\b(?:because|since|as\s+(?:the|it|there|no|nothing)|given|so\s+that|until|on\s+purpose|deliberately"
    r"|intentionally|by\s+design|as\s+(?:planned|agreed|instructed)|yet\b|per\s+the)",
    re.IGNORECASE,
)


AGENT_RE = re.compile(AGENT, re.IGNORECASE)
# Without a role word in the sentence only a name or a pronoun can be the agent: a much cheaper scan.
NAME_OR_PRONOUN_RE = re.compile(rf"{NAME}|{PRONOUN}", re.IGNORECASE)
ROLE_WORDS = ("engineer", "operator", "on-call", "on call", "oncall", "developer", "devs", "sre", "admin",
              "reviewer", "author", "responder", "deployer", "team", "people", "person", "individual", "staff",
              "dba", "colleague", "mate", "commander", "manager", "lead", "contractor", "intern", "hire",
              "employee", "junior", "senior", "human", "shift", "crew", "squad", "folks", "rotation", " ic ", " ics ")
_agents_cache: dict = {}


def _agents(text: str, start: int, end: int, lowered: str) -> list[int]:
    """Return where the sentence text[start:end] has a possible agent; one scan shared by the rules."""
    key = (text, start, end)
    found = _agents_cache.get(key)
    if found is None:
        if len(_agents_cache) > 4096:
            _agents_cache.clear()
        roles = lowered.startswith("ic ") or any(word in lowered for word in ROLE_WORDS)
        regex = AGENT_RE if roles else NAME_OR_PRONOUN_RE
        found = _agents_cache[key] = [m.start() for m in regex.finditer(text, start, end)]
    return found


def _word_starts(lowered: str, words: tuple[str, ...], offset: int) -> set[int]:
    """Return where one of `words` starts a word in `lowered` (a sentence starting at `offset`)."""
    found = set()
    for word in words:
        position = lowered.find(word)
        while position != -1:
            if position == 0 or not (lowered[position - 1].isalnum() or lowered[position - 1] in "_-@"):
                found.add(offset + position)
            position = lowered.find(word, position + 1)
    return found


@dataclass
class StructureRule(CompiledRule):
    """A built-in rule whose findings are checked in Python and come with a rewrite.

    `agent_first`: the pattern starts with the agent, so it is tried only where an agent starts.
    `gates`: groups of lowercase strings; the sentence must hold one string of each group.
    `starts`: lowercase words a match starts with, so it is tried only where one starts a word.
    """

    rewrite: Callable | None = None
    agent_first: bool = False
    gates: tuple = ()
    starts: tuple = ()
    yields = True
    rewrites = True
    reads_sentence = True

    def finditer(self, regex, text, start, end, lowered):
        if any(not any(literal in lowered for literal in gate) for gate in self.gates):
            return
        if self.agent_first:
            positions = _agents(text, start, end, lowered)
        elif self.starts:
            positions = sorted(_word_starts(lowered, self.starts, start))
        else:
            yield from regex.finditer(text, start, end)
            return
        after = start
        for position in positions:
            if position >= after:
                match = regex.match(text, position, end)
                if match:
                    after = match.end()
                    yield match

    def accepts(self, match: re.Match, names: frozenset[str], *, marked: bool = False) -> bool:
        """`marked`: the sentence marks the act as a fault ("by mistake"), as only a person's act is marked."""
        return _is_person(match, names, marked=marked)

    def rewrite_for(self, match: re.Match) -> str:
        return self.rewrite(match)


# --- Who is the agent -------------------------------------------------------------------------


def _is_person(match: re.Match, names: frozenset[str], *, marked: bool = False) -> bool:
    """Whether the match's agent is a person: a role, a pronoun, a handle, or a name the texts use as one."""
    groups = match.groupdict()
    if groups.get("role"):
        return not any(w.lower() in TECH_WORDS for w in groups["role"].split())  # "the Kubernetes operator"
    if groups.get("agent") is None or groups.get("bare") or groups.get("pronoun"):
        return True  # no agent in this form ("despite being warned"), or a pronoun
    name = groups["name"]
    if name is None:
        return False
    if name.startswith("@"):
        return True
    words = name.split()
    while words and words[0].lower() in NOT_NAMES:
        words.pop(0)
    if not words or any(w.lower() in TECH_WORDS or w.lower() in NOT_PEOPLE or w.lower() in NOT_NAMES for w in words):
        return False
    if words[0] in GIVEN_NAMES or words[0] in names or words[-1] in names:
        return True
    # An unknown capitalised word is a person only in a form that only people take ("Zed forgot to",
    # "Zed's mistake", "Zed could have caught it"); "Zed broke it" may be about a tool. Two unknown
    # capitalised words ("Cloud Storage") are more often a product.
    return len(words) == 1 and (marked or match.re in PERSON_ONLY_FORMS or bool(groups.get("person_only")))


# --- The rules --------------------------------------------------------------------------------

HARM = _words(HARM_VERBS)
NEUTRAL = _words(NEUTRAL_VERBS)
ACTIONS = _words(list(ACTION_VERBS) + list(ACTION_VERBS.values()))
SKIPS = _words(SKIP_VERBS)
PARTICIPLE_HARM = _words(HARM_PARTICIPLES)
PARTICIPLE_NEUTRAL = _words(NEUTRAL_PARTICIPLES)
ACTS = _words(("prevented avoided caught stopped spotted noticed seen checked tested verified waited asked known "
               "realised realized read looked escalated paged reverted followed double-checked anticipated foreseen "
               "predicted questioned refused flagged raised reported warned blocked reviewed").split())


NEVER_PAST = _words(p for p in ACTION_VERBS.values() if p not in ("run", "read", "set", "rerun", "re-run"))
SAFEGUARD_RE = re.compile(
    r"\b(?:with\s+(?:a|an|the|better|more|proper|any)|if\s+(?:there|we|it\s+had|the\s+(?:alert|dashboard|tool"
    r"|system|check|pipeline|runbook|page|warning))|had\s+there\s+been|given\s+(?:a|an|the|better))\b",
    re.IGNORECASE,
)


class _Harm(StructureRule):
    def accepts(self, match, names):
        verb = re.sub(r"[\s-]+", " ", verb_of(match).lower())
        fault = (match.group("adverb") or "").lower() in FAULT_ADVERBS or FAULT_MARK_RE.search(rest_after_verb(match))
        if verb in NEUTRAL_VERBS and not fault:
            return False
        if not fault and REMEDY_RE.search(rest_after_verb(match)):
            return False
        return super().accepts(match, names, marked=bool(fault))


class _NotDone(StructureRule):
    def accepts(self, match, names):
        if not match.group("person_only") and REASONED_RE.search(rest_after_verb(match)):
            return False
        return super().accepts(match, names)


class _Passive(StructureRule):
    def accepts(self, match, names):
        after = match.string[match.end("part"):match.endpos]
        fault = (match.group("adverb") or "").lower() in FAULT_ADVERBS or FAULT_MARK_RE.search(after)
        if match.group("part").lower() in NEUTRAL_PARTICIPLES and not fault:
            return False
        if not fault and REMEDY_RE.search(after):
            return False
        return super().accepts(match, names, marked=bool(fault))


class _Hindsight(StructureRule):
    def accepts(self, match, names):
        if SAFEGUARD_RE.search(match.string[match.end():match.endpos]):
            return False  # "would have noticed sooner with an alert on lag": a missing safeguard, not a person
        return super().accepts(match, names)


def _make(cls, slug, category, message, source, rewrite, *, agent_first=False, gates=(), starts=(), literals=None):
    """Compile a rule now (a broken pattern shows at import). `literals` replaces the strings a sentence
    must hold (see patterns.required_literals) with fewer, rarer ones that the rule's checks imply."""
    rule = cls(slug=slug, category=category, message=message, suggestion="", kinds=WRITING, source=source,
               needs_names=False, only_with_names=False, rewrite=rewrite, agent_first=agent_first, gates=gates,
               starts=starts)
    matcher = rule.matcher("")
    if literals is not None:
        rule._matchers[""] = Matcher(matcher.regex, frozenset(literals))
    return rule


PERSON_ONLY_FORMS: set = set()  # compiled patterns of the rules below whose form only people take
# A harmful verb, or the mark of a fault that makes an everyday verb blame.
HARM_GATE = tuple(v.split()[0].split("-")[0] for v in HARM_VERBS) + (
    "mistake", "accident", "inadvertent", "erroneous", "unintention", "hastily", "wrongly", "blindly",
    "unilateral", "without",
    "untested", "unreviewed", "wrong", "instead", "against", "anyway", "despite", " in error", "\nin error",
    " in\nerror")
HINDSIGHT = "Hindsight: the sentence judges people by what is known now, not by what they could see then."
COMPETENT = (r"(?:engineers?|operators?|developers?|SREs?|admins?|reviewers?|persons?|on[\s-]?call(?:\s+engineers?)?"
             r"|DBAs?)")

RULES = (
    _make(
        _Harm, "person-did-harm", "person_as_cause",
        "The sentence makes a person the cause: someone did the damage. It invites blame and hides what "
        "made the action possible.",
        rf"{AGENT}{ADVERB}\s+(?:(?:had|has)\s+)?(?P<verb>{HARM}|{NEUTRAL})\b{REST}",
        rewrite_harm, agent_first=True, literals=HARM_GATE,
    ),
    _make(
        _NotDone, "person-did-not-act", "person_as_cause",
        "The sentence makes a person's failure to act the cause. A step that depends on someone remembering "
        "is a gap in the system, not in the person.",
        rf"{AGENT}{ADVERB}\s+(?:(?P<person_only>forgot\s+to|neglected\s+to|failed\s+to|omitted\s+to"
        r"|didn['’]t\s+(?:bother|think)\s+to|did\s+not\s+(?:bother|think)\s+to|never\s+bothered\s+to"
        rf"|couldn['’]t\s+be\s+bothered\s+to)\s+(?:even\s+)?(?P<verb>{ACTIONS})"
        rf"|(?:didn['’]t|did\s+not)\s+(?:even\s+)?(?P<verb2>{ACTIONS})|never\s+(?P<verb3>{NEVER_PAST}))\b{REST}",
        rewrite_not_done, agent_first=True,
    ),
    _make(
        StructureRule, "person-skipped", "person_as_cause",
        "The sentence makes a person's skipping or missing a step the cause; it does not say why skipping "
        "it was possible or made sense.",
        rf"{AGENT}{ADVERB}\s+(?P<verb>{SKIPS})(?=\s+(?:the|an?|our|their|his|her|its|this|that|all|every|two"
        rf"|several|both)\b){REST}",
        rewrite_skip, agent_first=True,
    ),
    _make(
        _Passive, "done-by-person", "person_as_cause",
        "The passive still names who did it (“… by Lee”): the person remains the cause.",
        rf"\b(?:was|were|got|had\s+been|has\s+been|have\s+been|being){ADVERB}\s+(?P<part>{PARTICIPLE_HARM}"
        rf"|{PARTICIPLE_NEUTRAL})\b(?:(?!\b(?:and|but|which|while)\b)[^\n,;]){{0,60}}?(?P<by>\bby)\s+{OBJECT_AGENT}",
        rewrite_passive, literals=(" by ", "\nby "), starts=("was", "were", "got", "had", "has", "have", "being"),
    ),
    _make(
        StructureRule, "fault-of-person", "blame",
        "The sentence lays the fault on a person; nobody learns what made the slip easy.",
        rf"(?P<agent>{ROLE_POSSESSIVE}|{NAME_POSSESSIVE})['’]s?\s+(?:own\s+)?(?:\w+\s+)?(?P<noun>{_words(FAULT_NOUNS)})"
        r"\b(?![\s-]+(?:rates?|codes?|budgets?|handling|logs?|messages?|pages?|counts?|modes?|domains?|paths?))",
        rewrite_fault, gates=(("'", "’"),),
    ),
    _make(
        StructureRule, "character-of-person", "blame",
        "The sentence judges people's character; it explains nothing about the conditions they worked in.",
        rf"(?P<hit>{AGENT}\s+(?:was|were|is|are|seemed|had\s+been|has\s+been|got|became)\s+(?:(?:\w+ly|too|very|a\s+bit"
        rf"|rather|quite|just|simply|being|so)\s+)*(?:{_words(TRAITS)}|not\s+careful(?:\s+enough)?"
        r"|asleep\s+at\s+the\s+(?:wheel|switch)|out\s+of\s+(?:their|his|her)\s+depth|not\s+up\s+to\s+(?:the\s+)?"
        r"(?:job|task)))\b(?![\s-]+(?:load\w*|evaluat\w*|init\w*|mode|quorum))"
        r"(?=(?:\s+(?:about|with|in|on|when|around)\s+(?P<topic>[^\n]*))?)",
        rewrite_trait, agent_first=True, literals=(*TRAITS, "careful", "asleep", "depth", "not up to"),
    ),
    _make(
        StructureRule, "character-of-group", "blame",
        "The sentence judges a group's character; it explains nothing about the conditions they worked in.",
        rf"\b(?:{_words(TRAIT_NOUNS)}|lack\s+of\s+(?:care|discipline|competence|attention|diligence|ownership"
        r"|rigou?r|professionalism))\s+(?:in|of|on|from|by|among|within|across|inside)\s+"
        rf"(?P<group>(?:the\s+|our\s+|their\s+)?(?:[\w-]+\s+){{0,2}}?(?:{GROUP}|department|org|organi[sz]ation|group"
        r"|staff|desk|ops)(?:\s+(?:rotation|team|shift|engineers?|staff))?)\b",
        rewrite_trait_in,
    ),
    _make(
        _Hindsight, "hindsight-could-have", "counterfactual", HINDSIGHT,
        rf"{AGENT}\s+(?:could|should|would|might|ought\s+to)(?:n['’]t|\s+not|\s+never)?\s+(?:(?:\w+ly|all|really"
        rf"|also|just|at\s+least)\s+)?(?:['’]ve|have)\s+(?:(?:\w+ly|just)\s+)?(?P<act>{ACTS})\b",
        rewrite_hindsight, agent_first=True, gates=(("have", "’ve", "'ve"),),
    ),
    _make(
        _Hindsight, "hindsight-had-they", "counterfactual", HINDSIGHT,
        rf"\b(?:if\s+(?:only\s+)?|had\s+){AGENT}\s+(?:only\s+|just\s+|simply\s+|\w+ly\s+)?(?:had\s+)?"
        rf"(?:only\s+|just\s+|simply\s+)?(?P<act2>{ACTS})\b",
        rewrite_hindsight, literals=("had",), starts=("if", "had"),
    ),
    _make(
        StructureRule, "hindsight-obvious-to", "counterfactual", HINDSIGHT,
        r"\b(?:should|ought\s+to|must|would)\s+have\s+been\s+(?:\w+ly\s+)?(?:obvious|clear|apparent|evident|plain)"
        r"\s+to\b|\b(?:obvious|apparent|evident|plain)\s+to\s+(?:anyone|everyone|anybody|everybody)\b",
        rewrite_hindsight, gates=((" to ",),),
        starts=("should", "ought", "must", "would", "obvious", "apparent", "evident", "plain"),
    ),
    _make(
        StructureRule, "hindsight-anyone-could", "counterfactual", HINDSIGHT,
        rf"\b(?:anyone|anybody|any\s+(?:[\w-]+\s+)?{COMPETENT}|an?\s+(?:competent|careful|good|decent|reasonable"
        rf"|experienced|seasoned|proper|real|diligent|attentive|halfway\s+decent)\s+{COMPETENT})\s+(?:could|would"
        r"|should|might)\s+(?:have\s+)?(?:easily\s+|quickly\s+)?(?:do|done|see|seen|spot|spotted|catch|caught"
        r"|notice|noticed|avoid|avoided|prevent|prevented|check|checked|tell|told|fix|fixed|know|known)\b",
        rewrite_hindsight, starts=("any", "a", "an"),
    ),
    _make(
        StructureRule, "hindsight-every-chance", "counterfactual", HINDSIGHT,
        rf"{AGENT}\s+had\s+(?:every|plenty\s+of|ample|all\s+the|enough)\s+(?:chances?|opportunit(?:y|ies)"
        r"|information|warnings?|reason|time|signals?)\b",
        rewrite_hindsight, agent_first=True, literals=("every", "plenty", "ample", "all the", "enough"),
    ),
    _make(
        StructureRule, "hindsight-despite-warning", "counterfactual", HINDSIGHT,
        r"\bdespite\s+(?:being|having\s+been)\s+(?:\w+ly\s+)?(?:warned|told|reminded|asked)\b"
        r"|\b(?:in|with)\s+(?:hind|retro)sight,?\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:should|could|ought)\b",
        rewrite_hindsight, starts=("despite", "in", "with"),
    ),
)
SLUGS = frozenset(rule.slug for rule in RULES)
PERSON_ONLY_FORMS.update(
    rule.matcher("").regex for rule in RULES
    if rule.slug in ("done-by-person", "fault-of-person", "character-of-person", "hindsight-could-have",
                     "hindsight-had-they", "hindsight-every-chance", "hindsight-despite-warning")
)
