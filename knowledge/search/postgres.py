"""PostgreSQL full-text search: weighted tsvector columns, a GIN index, ts_headline, pg_trgm.

Costs measured at 100,000 documents shaped the queries:
- ts_rank reads (and decompresses) the whole vector of every document it ranks, so ranking every
  match of a common word costs hundreds of milliseconds. Only a bounded candidate set is ranked on
  the full vector; candidates are chosen by the small title-and-summary vector (`head`, stored inline).
- For common words the planner may estimate a sequential scan to be cheaper than the GIN index,
  and then evaluates @@ on every row. Search runs with sequential scans and JIT off for its queries.
- ts_headline parses whole documents, so it runs only for the page's ids, after they are chosen.
"""

import json

from django.db import transaction

from knowledge.search.base import DOC, START, STOP, Backend

CONFIG = "english"
HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=14, ShortWord=2, "
    "MaxFragments=2, FragmentDelimiter=\" … \""
)
TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
# Enough candidates that the ranked page is the true top for any realistic page depth.
CANDIDATES = 400


class PostgresBackend(Backend):
    vendor = "postgresql"

    def run(self, callback):
        with transaction.atomic():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL jit = off")
            return callback()

    def json_contains(self, column: str) -> str:
        return f"d.{column} @> %s::jsonb"

    def json_value(self, value: int):
        return json.dumps([value])

    def json_elements(self, alias: str, column: str) -> str:
        return f"jsonb_array_elements_text({alias}.{column}) AS j(value)"

    def text_source(self, parsed) -> tuple[str, str, list]:
        return f"{DOC} d", f"d.vector @@ to_tsquery('{CONFIG}', %s)", [parsed.to_tsquery()]

    def ranked_ids(self, cursor, parsed, viewer, filters, *, offset: int, limit: int) -> list[int]:
        tsquery = parsed.to_tsquery()
        columns = f"d.postmortem_id AS id, d.occurred_at, ts_rank(d.head, to_tsquery('{CONFIG}', %s)) AS head_rank"
        select, params = self.matching(parsed, viewer, filters, columns)
        candidates = max(CANDIDATES, (offset + limit) * 2)
        cursor.execute(
            f"""WITH m AS MATERIALIZED ({select}),
                c AS (SELECT * FROM m ORDER BY head_rank DESC, occurred_at DESC, id DESC LIMIT %s)
                SELECT c.id FROM c JOIN {DOC} d ON d.postmortem_id = c.id
                ORDER BY c.head_rank DESC, ts_rank(d.vector, to_tsquery('{CONFIG}', %s)) DESC,
                         c.occurred_at DESC, c.id DESC
                LIMIT %s OFFSET %s""",
            [tsquery, *params, candidates, tsquery, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
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

    def similar_by_text(self, cursor, words, viewer, exclude_id, limit):
        if not words:
            return []
        tsquery = " | ".join(f"'{w}'" for w in words)
        vis, vis_params = self.visibility(viewer)
        cursor.execute(
            f"""WITH q AS (SELECT to_tsquery('{CONFIG}', %s) AS query),
                m AS MATERIALIZED (
                    SELECT d.postmortem_id AS id, d.occurred_at, ts_rank(d.head, q.query) AS head_rank
                    FROM {DOC} d, q
                    WHERE d.vector @@ q.query AND d.postmortem_id <> %s AND {vis})
                SELECT id, head_rank FROM m WHERE head_rank > 0
                ORDER BY head_rank DESC, occurred_at DESC, id DESC LIMIT %s""",
            [tsquery, exclude_id or 0, *vis_params, limit],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]
