"""SQLite full-text search: an FTS5 external-content table over knowledge_searchdocument, bm25, snippet().

Costs measured at 100,000 documents shaped the queries:
- Visibility and filters are tokens in the FTS5 `facets` column, so one MATCH answers text, who may
  see it and the filters from the index alone; counts never read a row.
- bm25 runs for every row it orders, so only the newest RANK_CANDIDATES matches are ranked (found by
  walking the index in rowid order, which stops early).
- snippet() and highlight() read the document text, so they run in a separate query restricted to
  the page's ids; in the ranking query they would run for every match before LIMIT applies. A prefix
  is highlighted through its completions from the vocabulary (see `_completed`).
"""

from dataclasses import replace

from knowledge.search.base import DOC, RANK_CANDIDATES, START, STOP, Backend
from knowledge.search.query import Term

FTS = "knowledge_search_fts"
# Highlighting marks at most this many completions of a prefix (the shortest words first).
PREFIX_COMPLETIONS = 20
TEXT_COLUMNS = "{title summary body keywords}"
# bm25 column weights: title, summary, body, facets, keywords (tags, teams, categories: like the title).
WEIGHTS = "10.0, 4.0, 1.0, 0.0, 10.0"


def _facet_expression(groups) -> str:
    return " AND ".join("facets : (" + " OR ".join(f'"{token}"' for token in group) + ")" for group in groups)


class SqliteBackend(Backend):
    vendor = "sqlite"

    def expression(self, parsed, groups) -> str:
        facets = _facet_expression(groups)
        if parsed is None or parsed.is_empty:
            return facets
        if parsed.has_positive:
            return f"{TEXT_COLUMNS} : ({parsed.to_fts5()}) AND {facets}"
        return f"({facets}) NOT {TEXT_COLUMNS} : ({parsed.to_fts5_negative()})"

    def matching(self, parsed, groups):
        return FTS, f"{FTS}.rowid", f"{FTS} MATCH %s", [self.expression(parsed, groups)]

    def json_elements(self, alias: str, column: str) -> str:
        return f"json_each({alias}.{column}) AS j"

    def _candidate_floor(self, cursor, expression: str, candidates: int) -> int:
        """Return the smallest rowid among the newest `candidates` matches (0 when there are fewer)."""
        cursor.execute(
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s",
            [expression, candidates - 1],
        )
        row = cursor.fetchone()
        return row[0] if row else 0

    def ranked_ids(self, cursor, parsed, groups, *, offset: int, limit: int) -> list[int]:
        expression = self.expression(parsed, groups)
        floor = self._candidate_floor(cursor, expression, max(RANK_CANDIDATES, offset + limit))
        cursor.execute(
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s AND rowid >= %s "
            f"ORDER BY bm25({FTS}, {WEIGHTS}), rowid DESC LIMIT %s OFFSET %s",
            [expression, floor, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]

    def _completed(self, cursor, parsed):
        """Return `parsed` with each prefix replaced by the words of the vocabulary that start with it.

        FTS5's highlight() and snippet() on a prefix query cost a merge of every word with that prefix
        for each row (hundreds of milliseconds for the page's 20 rows at 100,000 documents).
        """
        def complete(term):
            if not term.prefix:
                return [term]
            stem = term.words[-1]
            cursor.execute("SELECT word FROM knowledge_searchterm WHERE word >= %s AND word < %s "
                           "ORDER BY length(word), word LIMIT %s",
                           [stem, stem[:-1] + chr(ord(stem[-1]) + 1), PREFIX_COMPLETIONS])
            words = [row[0] for row in cursor.fetchall()]
            return [replace(term, prefix=False)] + [Term(term.words[:-1] + (w,)) for w in words if w != stem]

        return replace(parsed, clauses=[[t for term in clause for t in complete(term)] for clause in parsed.clauses])

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids or not parsed.has_positive:
            return {}
        parsed = self._completed(cursor, parsed)
        marks = f"char({ord(START)}), char({ord(STOP)})"
        cursor.execute(
            f"""SELECT rowid, highlight({FTS}, 0, {marks}),
                       snippet({FTS}, 1, {marks}, '…', 32), snippet({FTS}, 2, {marks}, '…', 32)
                FROM {FTS} WHERE {FTS} MATCH %s AND rowid IN ({', '.join(['%s'] * len(ids))})""",
            [f"{TEXT_COLUMNS} : ({parsed.to_fts5()})", *ids],
        )
        result = {}
        for pk, title, summary, body in cursor.fetchall():
            snippet = summary if START in summary else body if START in body else summary or body
            result[pk] = (title, snippet)
        return result

    def term_candidates(self, cursor, word: str, *, limit: int) -> list[str]:
        # Every word of about this length and the same first letter: difflib ranks them afterwards.
        cursor.execute(
            "SELECT word FROM knowledge_searchterm "
            "WHERE word LIKE %s AND word <> %s AND length(word) BETWEEN %s AND %s",
            [word[:1] + "%", word, len(word) - 2, len(word) + 2],
        )
        return [row[0] for row in cursor.fetchall()]

    def newest_with_any(self, cursor, tokens, groups, limit):
        cursor.execute(
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rowid DESC LIMIT %s",
            [_facet_expression([tokens, *groups]), limit],
        )
        return [row[0] for row in cursor.fetchall()]

    def similar_by_text(self, cursor, words, groups, exclude_id, limit):
        if not words:
            return []
        expression = ("{title summary} : (" + " OR ".join(f'"{w}"' for w in words) + ") AND "
                      + _facet_expression(groups))
        floor = self._candidate_floor(cursor, expression, RANK_CANDIDATES)
        cursor.execute(
            f"""SELECT rowid, -bm25({FTS}, 10.0, 4.0, 0.0, 0.0) FROM {FTS}
                WHERE {FTS} MATCH %s AND rowid >= %s AND rowid <> %s
                ORDER BY bm25({FTS}, 10.0, 4.0, 0.0, 0.0), rowid DESC LIMIT %s""",
            [expression, floor, exclude_id or 0, limit],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


__all__ = ["DOC", "SqliteBackend"]
