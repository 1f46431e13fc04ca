"""Web-search syntax, parsed once and handed to each engine in its own language.

Supported: words (all must match; the search relaxes that when nothing does), "quoted phrases",
`OR` between two terms, and `-word` or `-"phrase"` to exclude. The last plain word also matches as
the start of a longer word (people are still typing it). Anything else is treated as plain words;
nothing a user types can make an engine raise a syntax error.
"""

import re
from dataclasses import dataclass, field, replace
from itertools import combinations

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"\w+", re.UNICODE)
# The last word matches as a prefix from this length on (SQLite's FTS5 table has a prefix index for it).
PREFIX_MIN = 3
# Partial matching ("at least k of the n words") tries every k-word combination: at most this many words.
RELAX_MAX_CLAUSES = 6
# Words too common to carry meaning; PostgreSQL's English configuration ignores them, and SQLite now
# does too when the query holds any other word, so a question matches like its key words.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other
our ours out over own same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who whom why will with would
you your yours
""".split())


@dataclass(frozen=True)
class Term:
    """A word or a phrase: the words in order; `prefix` lets the last word match as the start of a word."""

    words: tuple[str, ...]
    prefix: bool = False
    # A word written with dots or dashes inside (max.poll.interval.ms) as typed: PostgreSQL's parser
    # keeps such a word whole (as a host or file name), so it is searched as typed as well as by its parts.
    joined: str = ""
    # Synonyms match their words in any order: on PostgreSQL a phrase must re-read every candidate's
    # vector for positions (seconds for common words at 100,000 documents), plain words need the index only.
    loose: bool = False


@dataclass
class ParsedQuery:
    """Clauses that must all match (each a list of alternatives joined by OR) and terms to exclude.

    With `minimum` set, a document need match only that many of the clauses (partial matching).
    """

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    minimum: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.excluded

    @property
    def has_positive(self) -> bool:
        return bool(self.clauses)

    @property
    def is_partial(self) -> bool:
        return self.minimum is not None and self.minimum < len(self.clauses)

    def words(self) -> list[str]:
        """Return the positive words, in order, without repeats (for suggestions)."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            for term in clause:
                for word in term.words:
                    seen.setdefault(word, None)
        return list(seen)

    def at_least(self, minimum: int) -> "ParsedQuery":
        """Return this query matching documents that match `minimum` of its first RELAX_MAX_CLAUSES clauses."""
        clauses = self.clauses[:RELAX_MAX_CLAUSES]
        return replace(self, clauses=clauses, minimum=min(minimum, len(clauses)))

    def _combined(self, clause_texts: list[str], conjunction: str, disjunction: str) -> str:
        if not self.is_partial:
            return f" {conjunction} ".join(clause_texts)
        groups = [f" {conjunction} ".join(group) for group in combinations(clause_texts, self.minimum)]
        return "(" + f" {disjunction} ".join(f"({group})" for group in groups) + ")"

    def to_tsquery(self) -> str:
        """Return the query as PostgreSQL to_tsquery() input: words quoted, phrases joined by <->."""

        def term(t: Term) -> str:
            words = [f"'{w}'" for w in t.words]
            if t.prefix:
                words[-1] += ":*"
            joined = f" | '{t.joined}'" if t.joined else ""
            return "(" + (" & " if t.loose else " <-> ").join(words) + joined + ")"

        parts = ["(" + " | ".join(term(t) for t in clause) + ")" for clause in self.clauses]
        expression = self._combined(parts, "&", "|") if parts else ""
        negations = [f"!{term(t)}" for t in self.excluded]
        return " & ".join(([expression] if expression else []) + negations)

    def to_fts5(self) -> str:
        """Return the query as an FTS5 MATCH expression (every term quoted as an FTS5 string)."""

        def clause(alternatives: list[Term]) -> str:
            if len(alternatives) == 1:
                return _fts5_term(alternatives[0])
            return "(" + " OR ".join(_fts5_term(t) for t in alternatives) + ")"

        expression = self._combined([clause(c) for c in self.clauses], "AND", "OR")
        for t in self.excluded:
            expression = f"({expression}) NOT {_fts5_term(t)}" if expression else _fts5_term(t)
        return expression

    def to_fts5_negative(self) -> str:
        """Return an FTS5 expression matching any excluded term (for queries with no positive term)."""
        return " OR ".join(_fts5_term(t) for t in self.excluded)


def _fts5_term(t: Term) -> str:
    if t.loose and len(t.words) > 1:
        return "(" + " AND ".join(_fts5_term(Term((w,))) for w in t.words) + ")"
    return '"' + " ".join(t.words).replace('"', '""') + '"' + ("*" if t.prefix else "")


_JOINED_RE = re.compile(r"\w+(?:[.\-/]\w+)+")


def _term(text: str, *, bare: bool = False) -> Term | None:
    words = tuple(w.lower() for w in _WORD_RE.findall(text))
    if not words:
        return None
    match = _JOINED_RE.search(text) if bare and len(words) > 1 else None
    whole = match is not None and len(_WORD_RE.findall(match.group(0))) == len(words)
    return Term(words, joined=match.group(0).lower() if whole else "")


def parse(text: str) -> ParsedQuery:
    """Return the parsed form of a web-search style query."""
    query = ParsedQuery()
    pending_or = last_is_plain_word = False
    for match in _TOKEN_RE.finditer((text or "")[:500]):
        negate, quoted, bare = match.group(1), match.group(2), match.group(3)
        last_is_plain_word = False
        if bare is not None and bare == "OR":
            pending_or = bool(query.clauses)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negate, bare = "-", bare[1:]
        # A bare word with punctuation inside ("read-only", "10.0.0.1") becomes a phrase of its parts.
        raw = quoted if quoted is not None else bare
        term = _term(raw, bare=quoted is None)
        if term is None:
            continue
        if negate:
            query.excluded.append(term)
            pending_or = False
        elif pending_or:
            query.clauses[-1].append(term)
            pending_or = False
        else:
            query.clauses.append([term])
        last_is_plain_word = not negate and bare is not None
    if last_is_plain_word and query.clauses:
        term = query.clauses[-1][-1]
        if len(term.words[-1]) >= PREFIX_MIN:
            query.clauses[-1][-1] = replace(term, prefix=True)
    return query


def without_stop_words(query: ParsedQuery) -> ParsedQuery:
    """Return `query` without single stop words as clauses, unless nothing else would be left."""
    kept = [c for c in query.clauses if not (len(c) == 1 and len(c[0].words) == 1 and c[0].words[0] in STOP_WORDS)]
    return replace(query, clauses=kept) if kept else query


def with_synonyms(query: ParsedQuery, synonym_sets: list[list[tuple[str, ...]]]) -> ParsedQuery:
    """Return `query` with every word or phrase that belongs to a set of synonyms matching any of them.

    Consecutive plain words that spell a phrase of a set (out of memory) become one clause.
    """
    if not synonym_sets:
        return query
    sets_of: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for members in synonym_sets:
        for member in members:
            sets_of.setdefault(member, []).extend(m for m in members if m != member)
    longest = max(len(member) for member in sets_of)

    def single_word(clause):
        return len(clause) == 1 and len(clause[0].words) == 1

    clauses, i = [], 0
    while i < len(query.clauses):
        for size in range(min(longest, len(query.clauses) - i), 1, -1):
            run = query.clauses[i:i + size]
            if all(single_word(c) for c in run):
                words = tuple(c[0].words[0] for c in run)
                if words in sets_of:
                    clauses.append([Term(words, loose=True)])
                    i += size
                    break
        else:
            clauses.append(query.clauses[i])
            i += 1

    def expanded(terms: list[Term]) -> list[Term]:
        result = list(terms)
        for term in terms:
            for member in sets_of.get(term.words, []):
                if all(t.words != member for t in result):
                    result.append(Term(member, loose=True))
        return result

    return replace(query, clauses=[expanded(c) for c in clauses], excluded=expanded(query.excluded))
