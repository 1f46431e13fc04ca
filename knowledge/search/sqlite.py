"""SQLite full-text search: an FTS5 external-content table over knowledge_searchdocument, bm25, snippet().

snippet() and highlight() read the document text, so they run in a second query restricted to
the page's ids; in the ranking query they would run for every match before LIMIT applies.
"""

from knowledge.search.base import DOC, START, STOP, Backend

FTS = "knowledge_search_fts"
# bm25 column weights: title, summary, body.
WEIGHTS = "10.0, 4.0, 1.0"


class SqliteBackend(Backend):
    vendor = "sqlite"

    def json_contains(self, column: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each(d.{column}) WHERE json_each.value = %s)"

    def json_elements(self, alias: str, column: str) -> str:
        return f"json_each({alias}.{column}) AS j"

    def text_source(self, parsed) -> tuple[str, str, list]:
        if parsed.has_positive:
            return (f"{FTS} JOIN {DOC} d ON d.postmortem_id = {FTS}.rowid", f"{FTS} MATCH %s", [parsed.to_fts5()])
        return (
            f"{DOC} d",
            f"d.postmortem_id NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)",
            [parsed.to_fts5_negative()],
        )

    def ranked_ids(self, cursor, parsed, viewer, filters, *, offset: int, limit: int) -> list[int]:
        select, params = self.matching(parsed, viewer, filters, "d.postmortem_id")
        cursor.execute(
            f"{select} ORDER BY bm25({FTS}, {WEIGHTS}), d.occurred_at DESC, d.postmortem_id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids or not parsed.has_positive:
            return {}
        marks = f"char({ord(START)}), char({ord(STOP)})"
        cursor.execute(
            f"""SELECT rowid, highlight({FTS}, 0, {marks}),
                       snippet({FTS}, 1, {marks}, '…', 32), snippet({FTS}, 2, {marks}, '…', 32)
                FROM {FTS} WHERE {FTS} MATCH %s AND rowid IN ({', '.join(['%s'] * len(ids))})""",
            [parsed.to_fts5(), *ids],
        )
        result = {}
        for pk, title, summary, body in cursor.fetchall():
            snippet = summary if START in summary else body if START in body else summary or body
            result[pk] = (title, snippet)
        return result

    def term_candidates(self, cursor, word: str) -> list[str]:
        cursor.execute(
            "SELECT word FROM knowledge_searchterm "
            "WHERE word LIKE %s AND word <> %s AND length(word) BETWEEN %s AND %s",
            [word[:1] + "%", word, len(word) - 2, len(word) + 2],
        )
        return [row[0] for row in cursor.fetchall()]

    def known_terms(self, cursor, words: list[str]) -> set[str]:
        cursor.execute(
            f"SELECT word FROM knowledge_searchterm WHERE word IN ({', '.join(['%s'] * len(words))})", words
        )
        return {row[0] for row in cursor.fetchall()}

    def similar_by_text(self, cursor, words, viewer, exclude_id, limit):
        if not words:
            return []
        expression = "{title summary} : (" + " OR ".join(f'"{w}"' for w in words) + ")"
        vis, vis_params = self.visibility(viewer)
        cursor.execute(
            f"""SELECT d.postmortem_id, -bm25({FTS}, 10.0, 4.0, 0.0) AS score
                FROM {FTS} JOIN {DOC} d ON d.postmortem_id = {FTS}.rowid
                WHERE {FTS} MATCH %s AND d.postmortem_id <> %s AND {vis}
                ORDER BY bm25({FTS}, 10.0, 4.0, 0.0), d.occurred_at DESC, d.postmortem_id DESC LIMIT %s""",
            [expression, exclude_id or 0, *vis_params, limit],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]
