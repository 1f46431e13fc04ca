"""The blameless coach: finds blaming and hindsight-biased language in a post-mortem's texts.

A plain library (no requests, no responses): the editor's live check, the review partial, the
trend page and `manage.py check_language` all call into it.

Rules are data (`LanguageRule`): a phrase matched as whole words in any case, or a Python regular
expression (compiled with IGNORECASE and MULTILINE). Two placeholders let a rule speak about people
without listing them:

- ``{name}``: a person's name, meaning the name of a Hindsight user (passed in `names`) or a
  capitalised name written in the document itself (a common given name, or a word the document
  uses as a person: "Dave said", "asked Dave", "Dave, the on-call engineer"). Technical words
  (Kubernetes, Postgres, Redis...) are never names. Rules with ``{name}`` are skipped when the
  texts mention nobody.
- ``{person}``: a person in any form: a pronoun (I, we, he, she, you, someone...), a role ("the
  on-call engineer", "the payments team") or a ``{name}``. "They" and "it" are left out on
  purpose: in post-mortems they mostly stand for machines ("they failed to rejoin the cluster").

A rule may put the part to highlight in a group named ``hit``; otherwise the whole match is the
finding. Rules match within a sentence: never across a blank line or a sentence end (". ").
Quoted speech ("..." and “...”), block quotes, code and links are never checked: they record what
someone said or what a machine printed, not how the write-up tells the story.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from re import _constants as sre_constants
from re import _parser as sre_parse

logger = logging.getLogger(__name__)

KINDS = ("summary", "impact", "narrative", "lessons", "supporting", "timeline", "factor", "action_item")
MAX_FINDING_TEXT = 300
EXCERPT_CONTEXT = 60


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


# ---------------------------------------------------------------------------------------------
# People: names and the words that stand for a person.

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

# Common given names across the languages an engineering organisation speaks. Names that are also
# everyday words or technology (Will, May, Grace, Ruby, Julia, Cassandra, Hugo...) are left out.
GIVEN_NAMES = frozenset(
    """
    Aaron Abdul Abel Abigail Adam Adrian Aditya Agnes Ahmed Aisha Akira Alan Albert Alejandro Aleksandr
    Alex Alexander Alexandra Alexei Alfred Ali Alice Alicia Alison Amanda Amara Amelia Amir Amit Amy
    Ana Anders Andre Andrea Andreas Andrei Andrew Andy Angela Anika Anil Anita Ann Anna Anne Annika
    Anthony Anton Antonio Anya Arjun Arthur Arun Asha Ashley Astrid Aurora Ayesha Barbara Beatriz Ben
    Benjamin Bernard Beth Bianca Bjorn Bob Bobby Boris Brad Brandon Brenda Brian Bruno Bryan Camila
    Carl Carla Carlos Carmen Carol Caroline Catherine Cecilia Chandra Charles Charlie Charlotte Chen
    Chloe Chris Christian Christina Christine Christopher Claire Clara Claudia Colin Connor Craig
    Cristina Dagmar Daisuke Dan Dana Daniel Daniela Danielle Darius Dave David Deborah Deepak Denis
    Dennis Diana Diego Dimitri Dmitri Dmitry Dominic Donald Dora Doug Douglas Duncan Dylan Eddie
    Edward Elena Eli Elias Elif Elisa Elizabeth Ella Ellen Emil Emily Emma Emre Enrique Eric Erik Erin
    Ethan Eva Evan Eve Fabian Farah Fatima Felix Fernando Filip Fiona Florian Francesca Francesco
    Francisco Frank Freya Fred Gabriel Gabriela Gareth Gary George Georgia Gerald Gianluca Gina Giorgio
    Giulia Giuseppe Gloria Gordon Greg Gregory Gustavo Hamza Hana Hannah Hans Harold Harriet Harry
    Hassan Heather Heidi Helen Helena Henrik Henry Hiroshi Holly Hugh Hussein Ian Igor Ines Ingrid
    Irene Isaac Isabel Isabella Ivan Jack Jacob Jake James Jamie Jana Jane Janet Jason Javier
    Jean Jeff Jeffrey Jennifer Jenny Jeremy Jerome Jess Jessica Jim Jimmy Joan Joanna Joao Joe Joel
    Johan Johannes John Jon Jonas Jonathan Jorge Jose Josef Joseph Josh Joshua Juan Judith Julian
    Juliana Julie Julien Julius Justin Kai Kamal Karen Karim Karin Karl Kate Katherine Kathy
    Katie Katja Kavya Keith Kelly Ken Kenji Kenneth Kevin Khalid Kim Klaus Kofi Krishna Kristin
    Kumar Kurt Lakshmi Lars Laura Lauren Lea Leah Lena Leo Leon Leonardo Liam Lina Linda Lisa Liu
    Lorenzo Louis Louise Luca Lucas Lucia Lucy Luis Lukas Luke Magnus Malik Manuel Marc Marco Marcus
    Margaret Maria Mariana Marie Marina Mario Marion Marta Martha Martin Mary Mateo Matt Matteo
    Matthew Matthias Maya Megan Mehmet Mei Melissa Mia Michael Michelle Miguel Mike Mikhail Milan
    Ming Miriam Mohamed Mohammed Monica Nadia Nancy Naomi Natalia Natalie Nathan Neil Nick
    Nicolas Nicole Niels Nikhil Nikita Nina Noah Nora Olga Oliver Olivia Omar Oscar Otto Owen Pablo
    Pamela Paolo Patricia Patrick Paul Paula Pavel Pedro Peter Petra Philip Pierre Pooja Priya
    Rachel Rafael Rahul Raj Rajesh Ramon Raphael Raquel Rebecca Ricardo Richard Rick Riley Rita
    Rob Robert Roberto Robin Rohan Roman Ron Ronald Rosa Ryan Sabine Sam Samantha Samir Samuel Sandra
    Sara Sarah Sasha Satoshi Scott Sean Sebastian Sergei Sergey Sergio Shreya Simon Sofia Sonia
    Sophie Stefan Stefano Stephanie Stephen Steve Steven Susan Suresh Sven Takeshi Tamara Tanya
    Tariq Teresa Thomas Tim Timothy Tobias Tom Tomas Tony Tyler Valentina Vanessa Venkat Vera Victor
    Victoria Vijay Viktor Vincent Vivek Walter Wei Wendy William Xavier Xin Yan Yasmin Yuki Yusuf
    Yuri Zoe Zhang
    """.split()
)

# Technology that gets capitalised in prose; never a person, whatever the name lists say.
TECH_WORDS = frozenset(
    w.lower()
    for w in """
    Kubernetes Postgres PostgreSQL Redis Kafka Nginx MySQL Mongo MongoDB Elasticsearch Cassandra Jenkins
    Travis Docker Terraform Ansible Puppet Chef Consul Vault Nomad Envoy Istio Linkerd Helm Argo ArgoCD
    Grafana Prometheus Loki Sentry Datadog PagerDuty Opsgenie Slack GitHub GitLab Bitbucket Jira
    Confluence AWS GCP Azure Lambda Cloudflare Fastly Akamai Varnish HAProxy Traefik Caddy Apache Tomcat
    Jetty Django Rails Flask Celery Sidekiq RabbitMQ ZooKeeper Etcd CoreDNS Calico Cilium Karpenter
    Spark Hadoop Hive Presto Trino Airflow Dagster Snowflake BigQuery Redshift Memcached MariaDB SQLite
    Oracle Linux Ubuntu Debian Windows Chrome Firefox Safari Java Python Ruby Go Golang Rust Node Deno
    Julia Perl Scala Kotlin Swift Erlang Elixir Haskell Cron Systemd Kernel Git Npm Pip Maven Gradle
    Bazel Webpack Vercel Netlify Heroku Okta Stripe Twilio Sendgrid Mailgun Zendesk Salesforce Vitess
    Cockroach Spanner Dynamo DynamoDB Aurora Kinesis Pubsub Nats Pulsar Flink Beam Jaeger Zipkin Tempo
    Thanos Cortex Mimir Alertmanager Kibana Logstash Fluentd Vector Splunk Honeycomb Nagios Zabbix
    Icinga OpenStack Ceph Minio Keycloak Hugo Jekyll React Vue Angular Svelte Jest Mocha Karma Jasmine
    Cypress Selenium Playwright Flux Spinnaker Bamboo TeamCity Buildkite Drone Tekton Ada Alexa Siri
    Atlas Phoenix Hermes Apollo Orion Mercury Gemini Titan Ray Dask Celery Gunicorn Uvicorn Puma
    Unicorn Passenger Envoy Hystrix Resilience Consul Patroni Pgbouncer Pgpool Barman Sentinel
    """.split()
)

# Patterns here start with a character class (no \b, no IGNORECASE) so that re can skip ahead fast.
UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
# Words that start sentences; capitalised, but never names.
NOT_NAMES = frozenset(
    w.lower()
    for w in """
    I We You He She They It Its Our Their His Her My Your The A An This That These Those There Here Then When
    While After Before During Since Until As At On In By For With Without Within From To Of Because If Once So
    But And Or Nor Yet Also However Meanwhile Later Earlier Finally First Second Third Next Eventually Soon
    Unfortunately Fortunately Luckily Initially Afterwards Instead Still Even Only Just Both Each Every All Some
    Someone Somebody Nobody Everyone Everybody Anyone Anybody None Nothing Something Everything Who What Which
    Where Why How Whoever Whatever Everything Today Yesterday Tomorrow Tonight Morning Evening Night Monday
    Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September
    October November December Customers Users Engineers Responders Support Ops Management Security Finance Sales
    Legal Team Teams Everyone Thanks Thank Please Note Update Summary Impact Timeline Lessons Action Owner Status
    """.split()
)
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


# ---------------------------------------------------------------------------------------------
# Compiling rules.


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


def _names_alternation(names: Iterable[str]) -> str:
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    if not ordered:
        return ""
    return r"(?<![\w@])(?-i:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])"


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
_rules_cache: dict = {"current": (None, [])}  # one tuple, swapped whole, so threads never see half an update


def compile_rules(rows: Iterable[dict]) -> list[CompiledRule]:
    """Compile rule rows (dicts with the LanguageRule fields); a broken rule is logged and skipped."""
    rules = []
    for row in rows:
        try:
            rules.append(compile_rule(**{f: row[f] for f in _RULES_FIELDS}))
        except (ValueError, re.error) as exc:
            logger.warning("Language rule %s is skipped: %s", row.get("slug"), exc)
    return rules


def load_rules() -> list[CompiledRule]:
    """Return the enabled rules, compiled; recompiled only when the rules in the database change.

    One query per call: the rows are read and fingerprinted, so an edit in the admin (or in a
    migration, or in another process) takes effect on the next check.
    """
    from postmortems.models import LanguageRule

    rows = list(LanguageRule.objects.filter(enabled=True).order_by("slug").values_list(*_RULES_FIELDS))
    fingerprint = hashlib.blake2b(repr(rows).encode(), digest_size=16).digest()
    cached_fingerprint, rules = _rules_cache["current"]
    if fingerprint != cached_fingerprint:
        rules = compile_rules(dict(zip(_RULES_FIELDS, row, strict=True)) for row in rows)
        _rules_cache["current"] = (fingerprint, rules)
    return rules


def rule_matches(rule, text: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans `rule` (a LanguageRule, saved or not) flags in `text`.

    For the admin's "try it" box: names are the ones `text` itself shows to be people, quoted
    speech and code are skipped as in a real check, and the rule's section kinds are ignored.
    Raises ValueError when the pattern is not a valid regular expression.
    """
    masked = mask(text)
    regex = compile_pattern(rule.pattern, rule.is_regex, names=_names_present(masked, set()))
    spans = [_span(m) for m in regex.finditer(masked)]
    return [(start, end) for start, end in spans if end > start]


# ---------------------------------------------------------------------------------------------
# Checking.

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


def _names_present(masked_joined: str, known: frozenset[str]) -> set[str]:
    """Return the names worth compiling into {name}: known names the texts contain, and names they show."""
    capitalised = set(CAPITALISED_WORD_RE.findall(masked_joined))
    present = _shown_names(masked_joined, capitalised)
    if known:
        present |= capitalised & known
        if "@" in masked_joined:
            present |= set(HANDLE_RE.findall(masked_joined)) & known
    return present


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
    texts: Sequence[tuple[str, str, str]], *, names: Iterable[str] = (), rules: Sequence[CompiledRule] | None = None
) -> list[Finding]:
    """Return the findings in `texts`, a list of (location, kind, text), ordered by text then position.

    `names` are the names of Hindsight users (first names, last names, usernames); names written in
    the texts themselves are found too. Unknown kinds are checked as narrative. `rules` defaults to
    the enabled rules in the database.
    """
    rules = load_rules() if rules is None else rules
    texts = [(location, kind if kind in KINDS else "narrative", text) for location, kind, text in texts]
    masked = [mask(text) for _, _, text in texts]
    present = _names_present("\n".join(masked), _usable_names(names))
    alternation = _names_alternation(present)
    document = _Document(dict(enumerate(masked)))
    kinds_present = {kind for _, kind, _ in texts}
    found: list[list[Finding]] = [[] for _ in texts]
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
            for match in matcher.regex.finditer(masked[index], sentence.local_start, sentence.local_end):
                start, end = _span(match)
                if end > start:
                    found[index].append(
                        Finding(
                            location=location,
                            start=start,
                            end=end,
                            text=text[start:end],
                            rule_slug=rule.slug,
                            category=rule.category,
                            message=rule.message,
                            suggestion=rule.suggestion,
                        )
                    )
    return [finding for per_text in found for finding in _without_overlaps(per_text)]


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    """Drop a finding that overlaps an earlier or longer one of the same category in the same text."""
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -(f.end - f.start), f.rule_slug)):
        if any(k.category == finding.category and k.start < finding.end and finding.start < k.end for k in kept):
            continue
        kept.append(finding)
    return kept


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


# ---------------------------------------------------------------------------------------------
# Post-mortems.


def action_item_text(item) -> str:
    return f"{item.title}\n{item.description}" if item.description.strip() else item.title


def _row_text(row: dict) -> str:
    return f"{row['title']}\n{row['description']}" if (row.get("description") or "").strip() else row["title"]


def _section_kinds(postmortem) -> dict:
    return dict(postmortem.sections.values_list("pk", "kind"))


def postmortem_texts(postmortem, *, action_items=None, document=None) -> list[tuple[str, str, str]]:
    """Return (location, kind, text) for every text of `postmortem` the coach reads, in reading order.

    `document` (the editor's document, postmortems/documents.py) is read instead of the stored
    text: a pending amendment's, say. `action_items` saves a query when the caller has them already.
    """
    if document is not None:
        return document_texts(document, _section_kinds(postmortem))
    items = list(postmortem.action_items.all()) if action_items is None else action_items
    texts = [("title", "summary", postmortem.title), ("summary", "summary", postmortem.summary)]
    texts += [(f"section:{s.pk}", s.kind, s.body) for s in postmortem.sections.all()]
    texts += [(f"timeline:{e.pk}", "timeline", e.description) for e in postmortem.timeline_events.all()]
    texts += [(f"factor:{f.pk}", "factor", f.description) for f in postmortem.factors.all()]
    texts += [(f"action:{a.pk}", "action_item", action_item_text(a)) for a in items]
    return [t for t in texts if t[2] and t[2].strip()]


def document_texts(document: dict, section_kinds: dict) -> list[tuple[str, str, str]]:
    """Return (location, kind, text) for every text of an editor document, as `postmortem_texts` does."""
    texts = [("title", "summary", document.get("title", "")), ("summary", "summary", document.get("summary", ""))]
    texts += [(f"section:{s['id']}", section_kinds.get(s["id"], "narrative"), s["body"])
              for s in document.get("sections", [])]
    texts += [(f"timeline:{e['id']}", "timeline", e["description"]) for e in document.get("timeline", [])]
    texts += [(f"factor:{f['id']}", "factor", f["description"]) for f in document.get("factors", [])]
    texts += [(f"action:{a['id']}", "action_item", _row_text(a)) for a in document.get("action_items", [])]
    return [t for t in texts if t[2] and t[2].strip()]


def postmortem_action_facts(postmortem, *, action_items=None, document=None) -> list[ActionFacts]:
    """Return what the action-item checks need about `postmortem`'s action items (or `document`'s)."""
    from postmortems.models import ActionStatus

    open_statuses = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
    if document is not None:
        return [
            ActionFacts(
                location=f"action:{a['id']}",
                text=_row_text(a),
                priority=a["priority"],
                has_owner=bool(a.get("owner")),
                has_due_date=bool(a.get("due_date")),
                is_open=a["status"] in open_statuses,
            )
            for a in document.get("action_items", [])
        ]
    items = list(postmortem.action_items.all()) if action_items is None else action_items
    return [
        ActionFacts(
            location=f"action:{a.pk}",
            text=action_item_text(a),
            priority=a.priority,
            has_owner=a.owner_id is not None,
            has_due_date=a.due_date is not None,
            is_open=a.status in open_statuses,
        )
        for a in items
    ]


def user_names_in(texts: Iterable[str]) -> set[str]:
    """Return the names of active Hindsight users that appear in `texts` (one query).

    First and last names count when written capitalised, usernames when written as @handles.
    Only the words the texts contain are looked up, so the answer is always current.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    joined = "\n".join(mask(text) for text in texts if text)
    words = {w for w in CAPITALISED_WORD_RE.findall(joined) if w[:1].isupper() and _is_name_shaped(w)}
    handles = {h[1:] for h in HANDLE_RE.findall(joined)} if "@" in joined else set()
    if not words and not handles:
        return set()
    variants = words | {w.lower() for w in words}
    rows = get_user_model().objects.filter(is_active=True).filter(
        Q(first_name__in=variants) | Q(last_name__in=variants) | Q(username__in=handles)
    ).values_list("username", "first_name", "last_name")
    by_lower = defaultdict(set)
    for word in words:
        by_lower[word.lower()].add(word)
    names = set()
    for username, first, last in rows:
        if username in handles:
            names.add("@" + username)
        for value in (first, last):
            names |= by_lower.get(value.strip().lower(), set())
    return names


def check_postmortem(postmortem, *, names: Iterable[str] | None = None, document=None) -> list[Finding]:
    """Return every finding in `postmortem` (or in `document`, its text being amended): language rules
    and the action-item checks."""
    items = list(postmortem.action_items.all()) if document is None else None
    texts = postmortem_texts(postmortem, action_items=items, document=document)
    names = user_names_in(text for _, _, text in texts) if names is None else names
    findings = check_texts(texts, names=names)
    findings += check_action_items(postmortem_action_facts(postmortem, action_items=items, document=document))
    return findings


def finding_key(finding) -> tuple[str, str, str]:
    return (finding.rule_slug, finding.location, finding.text[:MAX_FINDING_TEXT])


def refresh_findings(postmortem, *, document=None) -> None:
    """Recompute `postmortem`'s LanguageFinding rows, keeping the created_at of findings that persist.

    With `document` (a pending amendment's text), the findings are those of that text: it is what
    will be published, so it is what the review and the publishing gate look at.
    Dismissed findings are stored too (the review shows them with their reasons, the trend page
    counts them); whether a finding is open is decided against FindingDismissal when it is read.
    """
    from postmortems.models import LanguageFinding

    current = check_postmortem(postmortem, document=document)
    existing = defaultdict(list)
    for row in LanguageFinding.objects.filter(postmortem=postmortem).order_by("start", "pk"):
        existing[finding_key(row)].append(row)
    to_create, to_update = [], []
    update_fields = ("category", "start", "end", "message", "suggestion")
    for finding in current:
        rows = existing.get(finding_key(finding))
        if rows:
            row = rows.pop(0)
            values = {f: getattr(finding, f) for f in update_fields}
            if any(getattr(row, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(row, f, v)
                to_update.append(row)
        else:
            to_create.append(
                LanguageFinding(
                    postmortem=postmortem,
                    rule_slug=finding.rule_slug,
                    category=finding.category,
                    location=finding.location,
                    text=finding.text[:MAX_FINDING_TEXT],
                    start=finding.start,
                    end=finding.end,
                    message=finding.message,
                    suggestion=finding.suggestion,
                )
            )
    stale = [row.pk for rows in existing.values() for row in rows]
    if stale:
        LanguageFinding.objects.filter(pk__in=stale).delete()
    if to_update:
        LanguageFinding.objects.bulk_update(to_update, update_fields)
    if to_create:
        LanguageFinding.objects.bulk_create(to_create)


# ---------------------------------------------------------------------------------------------
# Dismissals, the review and the trend page.

DISMISS_ACTION = "dismissed a language finding"
# Rows new in a pending amendment have negative ids until it is published.
LOCATION_RE = re.compile(r"^(?:title|summary|(?:section|timeline|factor|action):-?\d+)$")


def known_rule_slugs() -> set[str]:
    from postmortems.models import LanguageRule

    return set(LanguageRule.objects.values_list("slug", flat=True)) | set(STRUCTURAL_RULES)


def finding_dismiss(*, postmortem, user, rule_slug: str, location: str, text: str, reason: str):
    """Keep a flagged phrase with the author's reason, and record the decision in the revision history.

    Dismissing the same phrase again replaces the reason. Returns the FindingDismissal.
    """
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from postmortems.models import FindingDismissal
    from postmortems.services import pending_amendment, postmortem_record_change

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this phrase should stay, so the reviewer can follow."})
    with transaction.atomic():
        # A finding in a pending amendment's text is part of the amendment's history, not the published one's.
        postmortem_record_change(postmortem=postmortem, user=user, action=DISMISS_ACTION, comment=reason,
                                 amendment=pending_amendment(postmortem))
        dismissal, _ = FindingDismissal.objects.update_or_create(
            postmortem=postmortem,
            rule_slug=rule_slug,
            location=location,
            text=text[:MAX_FINDING_TEXT],
            defaults={"reason": reason, "user": user, "version": postmortem.version},
        )
    return dismissal


@dataclass
class ReviewItem:
    """A stored finding with its context, for display: before + <mark>match</mark> + after."""

    finding: object
    before: str
    match: str
    after: str
    dismissal: object = None


@dataclass
class ReviewGroup:
    location: str
    label: str
    open: list = field(default_factory=list)
    dismissed: list = field(default_factory=list)


def _labelled_texts(postmortem, document=None) -> list[tuple[str, str, str]]:
    """Return (location, label, text) for everything the coach reads, in reading order."""
    from datetime import datetime

    from django.utils import timezone

    if document is not None:
        rows = [("title", "Title", document["title"]), ("summary", "Summary", document["summary"])]
        rows += [(f"section:{s['id']}", s["heading"], s["body"]) for s in document["sections"]]
        for event in document["timeline"]:
            when = timezone.localtime(datetime.fromisoformat(event["when"])).strftime("%d %b %H:%M")
            rows.append((f"timeline:{event['id']}", f"Timeline, {when}", event["description"]))
        rows += [(f"factor:{f['id']}", f"Contributing factor ({f['category']})", f["description"])
                 for f in document["factors"]]
        rows += [(f"action:{a['id']}", f"Action item “{a['title']}”", _row_text(a)) for a in document["action_items"]]
        return rows
    rows = [("title", "Title", postmortem.title), ("summary", "Summary", postmortem.summary)]
    rows += [(f"section:{s.pk}", s.heading, s.body) for s in postmortem.sections.all()]
    for event in postmortem.timeline_events.all():
        when = timezone.localtime(event.occurred_at).strftime("%d %b %H:%M")
        rows.append((f"timeline:{event.pk}", f"Timeline, {when}", event.description))
    rows += [
        (f"factor:{f.pk}", f"Contributing factor ({f.category.name})", f.description)
        for f in postmortem.factors.select_related("category")
    ]
    rows += [(f"action:{a.pk}", f"Action item “{a.title}”", action_item_text(a)) for a in postmortem.action_items.all()]
    return rows


def _excerpt(text: str, start: int, end: int, phrase: str) -> tuple[str, str, str]:
    if text[start:end] != phrase:
        found = text.find(phrase)
        if found == -1:
            return "", phrase, ""
        start, end = found, found + len(phrase)
    before = text[max(0, start - EXCERPT_CONTEXT):start]
    after = text[end:end + EXCERPT_CONTEXT]
    if start > EXCERPT_CONTEXT:
        before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
    if end + EXCERPT_CONTEXT < len(text):
        after = after.rsplit(" ", 1)[0] + "…" if " " in after else after + "…"
    return before, text[start:end], after


def findings_for_review(postmortem, *, user=None, document=None) -> dict:
    """Return the context for includes/_coach_findings.html: findings grouped by text, open and dismissed.

    Keys: postmortem, groups (ReviewGroup list, in reading order), open_count, dismissed_count,
    can_dismiss (whether `user` may dismiss findings here) and dismiss_url. `document` labels the
    texts of a pending amendment. A constant number of queries, whatever the number of findings.
    """
    from postmortems.models import FindingDismissal, LanguageFinding

    dismissals = {
        (d.rule_slug, d.location, d.text): d
        for d in FindingDismissal.objects.filter(postmortem=postmortem).select_related("user")
    }
    by_location = defaultdict(list)
    for row in LanguageFinding.objects.filter(postmortem=postmortem).order_by("location", "start", "pk"):
        by_location[row.location].append(row)
    groups = []
    if by_location:
        for location, label, text in _labelled_texts(postmortem, document):
            rows = by_location.pop(location, None)
            if rows:
                groups.append(_review_group(location, label, text, rows, dismissals))
        for location, rows in by_location.items():  # texts removed since the last refresh
            groups.append(_review_group(location, location, "", rows, dismissals))
    can_dismiss = False
    from django.urls import reverse

    if user is not None:
        from postmortems.access import can_edit

        can_dismiss = can_edit(user, postmortem)
    return {
        "postmortem": postmortem,
        "groups": groups,
        "open_count": sum(len(g.open) for g in groups),
        "dismissed_count": sum(len(g.dismissed) for g in groups),
        "can_dismiss": can_dismiss,
        "dismiss_url": reverse("coach_dismiss", args=[postmortem.slug]),
    }


def _review_group(location, label, text, rows, dismissals) -> ReviewGroup:
    group = ReviewGroup(location=location, label=label)
    for row in rows:
        before, match, after = _excerpt(text, row.start, row.end, row.text)
        dismissal = dismissals.get((row.rule_slug, row.location, row.text))
        item = ReviewItem(finding=row, before=before, match=match, after=after, dismissal=dismissal)
        (group.dismissed if dismissal else group.open).append(item)
    return group


def open_finding_count(postmortem) -> int:
    """Return how many of the post-mortem's findings are neither fixed nor dismissed with a reason."""
    from postmortems.models import LanguageFinding

    return LanguageFinding.objects.filter(postmortem=postmortem).filter(~_dismissed_expression()).count()


def _dismissed_expression():
    from django.db.models import Exists, OuterRef

    from postmortems.models import FindingDismissal

    return Exists(
        FindingDismissal.objects.filter(
            postmortem_id=OuterRef("postmortem_id"),
            rule_slug=OuterRef("rule_slug"),
            location=OuterRef("location"),
            text=OuterRef("text"),
        )
    )


def finding_trends(user, *, team=None, month=None, category: str = "", limit: int = 100) -> dict:
    """Return findings across the post-mortems `user` may see, counted by month and category.

    A finding's month is when its phrasing first appeared (its created_at). `team` narrows to one
    team's post-mortems; `month` (a date in that month) and `category` select the findings to list
    (at most `limit`, newest first). A constant number of queries.
    """
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    from postmortems.models import LanguageFinding, LanguageRule, PostMortem

    visible = PostMortem.objects.visible_to(user)
    if team is not None:
        visible = visible.filter(teams=team)
    findings = LanguageFinding.objects.filter(postmortem__in=visible.values("pk"))
    cells = (
        findings.annotate(month=TruncMonth("created_at"), is_dismissed=_dismissed_expression())
        .values("month", "category")
        .annotate(total=Count("pk"), dismissed=Count("pk", filter=Q(is_dismissed=True)))
        .order_by("-month", "category")
    )
    months = (
        findings.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Count("pk"), postmortems=Count("postmortem", distinct=True))
        .order_by("-month")
    )
    categories = list(LanguageRule.Category.choices)
    table = []
    by_month = defaultdict(dict)
    for cell in cells:
        by_month[cell["month"]][cell["category"]] = cell
    for row in months:
        counts = by_month.get(row["month"], {})
        table.append(
            {
                "month": row["month"],
                "total": row["total"],
                "postmortems": row["postmortems"],
                "cells": [(value, counts.get(value, {"total": 0, "dismissed": 0})) for value, _ in categories],
            }
        )
    top_rules = list(findings.values("rule_slug").annotate(total=Count("pk")).order_by("-total", "rule_slug")[:10])
    listed = []
    if month is not None or category:
        selected = findings.annotate(is_dismissed=_dismissed_expression()).select_related("postmortem")
        if month is not None:
            start = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            end = (start + timedelta(days=32)).replace(day=1)
            selected = selected.filter(created_at__gte=start, created_at__lt=end)
        if category:
            selected = selected.filter(category=category)
        listed = list(selected.order_by("-created_at", "pk")[:limit])
    return {
        "table": table,
        "categories": categories,
        "top_rules": top_rules,
        "listed": listed,
        "total": sum(row["total"] for row in table),
    }
