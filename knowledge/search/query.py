"""Web-search syntax, parsed once and handed to each engine in its own language.

Supported: words (all must match), "quoted phrases", `OR` between two terms, and `-word` or
`-"phrase"` to exclude. Anything else is treated as plain words; nothing a user types can make
an engine raise a syntax error.
"""

import re
from dataclasses import dataclass, field

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """A word or a phrase: the words in order."""

    words: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass
class ParsedQuery:
    """Clauses that must all match (each a list of alternatives joined by OR) and terms to exclude."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.excluded

    @property
    def has_positive(self) -> bool:
        return bool(self.clauses)

    def words(self) -> list[str]:
        """Return the positive words, in order, without repeats (for suggestions)."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            for term in clause:
                for word in term.words:
                    seen.setdefault(word, None)
        return list(seen)

    def to_tsquery(self) -> str:
        """Return the query as PostgreSQL to_tsquery() input: words quoted, phrases joined by <->."""

        def term(t: Term) -> str:
            return "(" + " <-> ".join(f"'{w}'" for w in t.words) + ")"

        parts = ["(" + " | ".join(term(t) for t in clause) + ")" for clause in self.clauses]
        parts += [f"!{term(t)}" for t in self.excluded]
        return " & ".join(parts)

    def to_fts5(self) -> str:
        """Return the query as an FTS5 MATCH expression (every term quoted as an FTS5 string)."""

        def term(t: Term) -> str:
            return '"' + " ".join(t.words).replace('"', '""') + '"'

        def clause(alternatives: list[Term]) -> str:
            if len(alternatives) == 1:
                return term(alternatives[0])
            return "(" + " OR ".join(term(t) for t in alternatives) + ")"

        expression = " AND ".join(clause(c) for c in self.clauses)
        for t in self.excluded:
            expression = f"({expression}) NOT {term(t)}" if expression else term(t)
        return expression

    def to_fts5_negative(self) -> str:
        """Return an FTS5 expression matching any excluded term (for queries with no positive term)."""
        return " OR ".join('"' + " ".join(t.words) + '"' for t in self.excluded)


def _term(text: str) -> Term | None:
    words = tuple(w.lower() for w in _WORD_RE.findall(text))
    return Term(words) if words else None


def parse(text: str) -> ParsedQuery:
    """Return the parsed form of a web-search style query."""
    query = ParsedQuery()
    pending_or = False
    for match in _TOKEN_RE.finditer((text or "")[:500]):
        negate, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare == "OR":
            pending_or = bool(query.clauses)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negate, bare = "-", bare[1:]
        # A bare word with punctuation inside ("read-only", "10.0.0.1") becomes a phrase of its parts.
        raw = quoted if quoted is not None else bare
        term = _term(raw)
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
    return query
