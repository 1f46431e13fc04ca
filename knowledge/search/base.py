"""What both engine backends share: the request and result shapes, visibility and facet SQL."""

from dataclasses import dataclass, field

from knowledge.search.query import ParsedQuery, Term
from knowledge.search.tokens import Viewer, facet_groups

__all__ = ["Backend", "Counts", "Filters", "Viewer", "facet_groups"]

DOC = "knowledge_searchdocument"
FACET_COLUMNS = {"tag": "tag_ids", "team": "team_ids", "factor": "category_ids"}
SCALAR_FACETS = {"severity": "severity", "year": "year", "status": "status"}


@dataclass
class Filters:
    tag_ids: list[int] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


START, STOP = "\x02", "\x03"
FACTS = "knowledge_searchfacts"
# Relevance ranks at most this many of the newest matches (every match, when there are fewer):
# ranking reads each candidate's whole index entry, so an unbounded rank grows with the corpus.
RANK_CANDIDATES = 400
# Facet counts are exact up to this many matches; above it they come from an even sample of about
# this size, scaled up (and the page says they are estimates).
FACET_SAMPLE = 1000


@dataclass
class Counts:
    total: int
    facets: dict[str, dict[str, int]]
    estimated: bool = False


class Backend:
    """The steps of a search; each engine says how it matches, ranks and highlights."""

    vendor = ""

    def run(self, callback):
        return callback()

    def matching(self, parsed, groups) -> tuple[str, str, str, list]:
        """Return (FROM clause, id expression, WHERE condition, params) for the matching documents."""
        raise NotImplementedError

    def json_elements(self, alias: str, column: str) -> str:
        """Return a FROM item yielding `value` for each element of the JSON array `alias.column`."""
        raise NotImplementedError

    def count(self, cursor, parsed, groups) -> int:
        source, _, where, params = self.matching(parsed, groups)
        cursor.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params)
        return cursor.fetchone()[0]

    def counts(self, cursor, parsed, groups) -> Counts:
        """Return the total and the facet counts of the matching set (exact, or estimated from a sample)."""
        total = self.count(cursor, parsed, groups)
        facets = {name: {} for name in (*SCALAR_FACETS, *FACET_COLUMNS)}
        if not total:
            return Counts(0, facets)
        step = max(1, -(-total // FACET_SAMPLE))
        source, id_expr, where, params = self.matching(parsed, groups)
        sample = f" AND ({id_expr} %% {step}) = 0" if step > 1 else ""
        select = (f"SELECT f.status, f.severity, f.year, f.tag_ids, f.team_ids, f.category_ids FROM {source} "
                  f"CROSS JOIN {FACTS} f WHERE f.postmortem_id = {id_expr} AND {where}{sample}")
        arms = []
        for facet, column in SCALAR_FACETS.items():
            arms.append(f"SELECT '{facet}', CAST(m.{column} AS TEXT), COUNT(*) FROM m GROUP BY m.{column}")
        for facet, column in FACET_COLUMNS.items():
            arms.append(
                f"SELECT '{facet}', CAST(j.value AS TEXT), COUNT(*) FROM m, {self.json_elements('m', column)} "
                f"GROUP BY j.value"
            )
        cursor.execute(f"WITH m AS MATERIALIZED ({select}) " + " UNION ALL ".join(arms), params)
        for facet, value, count in cursor.fetchall():
            facets[facet][str(value)] = min(total, count * step)
        return Counts(total, facets, estimated=step > 1)

    def page(self, cursor, parsed, groups, *, sort: str, offset: int, limit: int) -> tuple[Counts, list[int]]:
        """Return the counts and one page of ids in order."""
        counts = self.counts(cursor, parsed, groups)
        ids = []
        if counts.total > offset:
            ids = self.ordered_ids(cursor, parsed, groups, sort=sort, offset=offset, limit=limit)
        return counts, ids

    def ordered_ids(self, cursor, parsed, groups, *, sort: str, offset: int, limit: int) -> list[int]:
        if sort == "relevance" and parsed is not None and parsed.has_positive:
            return self.ranked_ids(cursor, parsed, groups, offset=offset, limit=limit)
        order = {
            "severity": "f.severity ASC, f.occurred_at DESC, f.postmortem_id DESC",
        }.get(sort, "f.occurred_at DESC, f.postmortem_id DESC")
        source, id_expr, where, params = self.matching(parsed, groups)
        cursor.execute(
            f"SELECT f.postmortem_id FROM {source} CROSS JOIN {FACTS} f WHERE f.postmortem_id = {id_expr} "
            f"AND {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]

    def ranked_ids(self, cursor, parsed, groups, *, offset: int, limit: int) -> list[int]:
        raise NotImplementedError

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        """Return {id: (title, snippet)} with matched words between START and STOP, for `ids` only."""
        raise NotImplementedError

    def term_candidates(self, cursor, word: str, *, limit: int) -> list[str]:
        """Return words of the vocabulary spelled like `word` (from every document: not yet checked)."""
        raise NotImplementedError

    def visible_terms(self, cursor, words: list[str], groups, *, first_only: bool = False) -> list[str]:
        """Return those of `words`, in order, that a search limited to `groups` finds on their own.

        One index lookup per word, through the same matching as the search itself; with
        `first_only`, stop at the first word found.
        """
        found = []
        for word in words:
            if self.finds_any(cursor, ParsedQuery(clauses=[[Term((word,))]]), groups):
                found.append(word)
                if first_only:
                    break
        return found

    def finds_any(self, cursor, parsed, groups) -> bool:
        """Return whether `parsed` finds at least one document within `groups`."""
        source, _, where, params = self.matching(parsed, groups)
        cursor.execute(f"SELECT 1 FROM {source} WHERE {where} LIMIT 1", params)
        return cursor.fetchone() is not None

    def newest_with_any(self, cursor, tokens: list[str], groups, limit: int) -> list[int]:
        """Return the newest `limit` ids carrying any of the facet `tokens` (and every group)."""
        raise NotImplementedError

    def similar_by_text(self, cursor, words: list[str], groups, exclude_id, limit: int):
        """Return [(id, score)] of documents whose title and summary share words, best first."""
        raise NotImplementedError
