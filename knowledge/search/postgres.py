"""PostgreSQL full-text search: weighted tsvector columns, GIN indexes, ts_headline, pg_trgm.

Costs measured at 100,000 documents shaped the queries:
- Visibility and filters are tokens in `facet_vector` (its own GIN index), so text, visibility and
  filters combine as a BitmapAnd of two GIN scans; long text and vectors live out of line (TOAST),
  so the heap rows a count visits are narrow.
- ts_rank reads and decompresses the whole vector of every row it ranks, so only the newest
  RANK_CANDIDATES matches are ranked.
- For common words the planner may estimate a sequential scan to be cheaper than the GIN index and
  then evaluate @@ on every row; search queries run with sequential scans and JIT off.
- ts_headline parses whole documents, so it runs only for the page's ids, after they are chosen.
"""

from django.db import connection, transaction

from knowledge.search.base import DOC, RANK_CANDIDATES, START, STOP, Backend

CONFIG = "english"
HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=14, ShortWord=2, "
    "MaxFragments=2, FragmentDelimiter=\" … \""
)
TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"


def _facet_tsquery(groups) -> str:
    return " & ".join("(" + " | ".join(f"'{token}'" for token in group) + ")" for group in groups)


class PostgresBackend(Backend):
    vendor = "postgresql"

    def run(self, callback):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL jit = off")
            return callback()

    def matching(self, parsed, groups):
        where = ["d.facet_vector @@ to_tsquery('simple', %s)"]
        params = [_facet_tsquery(groups)]
        if parsed is not None and not parsed.is_empty:
            where.insert(0, f"d.vector @@ to_tsquery('{CONFIG}', %s)")
            params.insert(0, parsed.to_tsquery())
        return f"{DOC} d", "d.postmortem_id", " AND ".join(where), params

    def json_elements(self, alias: str, column: str) -> str:
        return f"jsonb_array_elements_text({alias}.{column}) AS j(value)"

    def ranked_ids(self, cursor, parsed, groups, *, offset: int, limit: int) -> list[int]:
        source, _, where, params = self.matching(parsed, groups)
        cursor.execute(
            f"""WITH m AS MATERIALIZED (SELECT d.postmortem_id FROM {source} WHERE {where}),
                c AS (SELECT postmortem_id FROM m ORDER BY postmortem_id DESC LIMIT %s)
                SELECT d.postmortem_id FROM c JOIN {DOC} d ON d.postmortem_id = c.postmortem_id
                ORDER BY ts_rank(d.vector, to_tsquery('{CONFIG}', %s)) DESC, d.postmortem_id DESC
                LIMIT %s OFFSET %s""",
            [*params, max(RANK_CANDIDATES, offset + limit), parsed.to_tsquery(), limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids or not parsed.has_positive:
            return {}
        cursor.execute(
            f"""SELECT d.postmortem_id,
                       ts_headline('{CONFIG}', d.title, q.query, %s),
                       ts_headline('{CONFIG}', d.summary || E'\\n\\n' || d.body, q.query, %s)
                FROM {DOC} d, (SELECT to_tsquery('{CONFIG}', %s) AS query) q
                WHERE d.postmortem_id = ANY(%s)""",
            [TITLE_HEADLINE, HEADLINE, parsed.to_tsquery(), ids],
        )
        return {pk: (title, snippet) for pk, title, snippet in cursor.fetchall()}

    def term_candidates(self, cursor, word: str) -> list[str]:
        cursor.execute(
            "SELECT word FROM knowledge_searchterm WHERE word %% %s AND word <> %s "
            "ORDER BY similarity(word, %s) DESC, word LIMIT 5",
            [word, word, word],
        )
        return [row[0] for row in cursor.fetchall()]

    def known_terms(self, cursor, words: list[str]) -> set[str]:
        cursor.execute("SELECT word FROM knowledge_searchterm WHERE word = ANY(%s)", [words])
        return {row[0] for row in cursor.fetchall()}

    def similar_by_text(self, cursor, words, groups, exclude_id, limit):
        if not words:
            return []
        tsquery = " | ".join(f"'{w}'" for w in words)
        cursor.execute(
            f"""WITH q AS (SELECT to_tsquery('{CONFIG}', %s) AS query),
                m AS MATERIALIZED (
                    SELECT d.postmortem_id FROM {DOC} d, q
                    WHERE d.vector @@ q.query AND d.facet_vector @@ to_tsquery('simple', %s)
                      AND d.postmortem_id <> %s),
                c AS (SELECT postmortem_id FROM m ORDER BY postmortem_id DESC LIMIT %s),
                r AS (SELECT d.postmortem_id, ts_rank(d.head, q.query) AS score
                      FROM c JOIN {DOC} d ON d.postmortem_id = c.postmortem_id, q)
                SELECT postmortem_id, score FROM r WHERE score > 0
                ORDER BY score DESC, postmortem_id DESC LIMIT %s""",
            [tsquery, _facet_tsquery(groups), exclude_id or 0, RANK_CANDIDATES, limit],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]
