"""PostgreSQL full-text search: weighted tsvector columns, GIN indexes, ts_headline, pg_trgm.

Costs measured at 100,000 documents shaped the queries:
- Visibility and filters are "~"-prefixed lexemes in the same vector as the text, so one GIN index
  scan answers text, visibility and filters together and a count never decompresses a vector; long
  text and vectors live out of line (TOAST), so the heap rows a count visits are narrow.
- ts_rank reads and decompresses the whole vector of every row it ranks, so only the newest
  RANK_CANDIDATES matches are ranked.
- For common words the planner may estimate a sequential scan to be cheaper than the GIN index and
  then evaluate @@ on every row; search queries run with sequential scans and JIT off.
- ts_headline parses whole documents, so it runs only for the page's ids, after they are chosen.
"""

from django.db import connection, transaction

from knowledge.search.base import (
    DOC,
    FACET_COLUMNS,
    FACET_SAMPLE,
    FACTS,
    RANK_CANDIDATES,
    SCALAR_FACETS,
    START,
    STOP,
    Backend,
    Counts,
)

CONFIG = "english"
HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=14, ShortWord=2, "
    "MaxFragments=2, FragmentDelimiter=\" … \""
)
TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"


def _facet_tsquery(groups) -> str:
    """Return the facet groups as tsquery text over the "~"-prefixed lexemes in `vector`."""
    return " & ".join("(" + " | ".join(f"'~{token}'" for token in group) + ")" for group in groups)


class PostgresBackend(Backend):
    vendor = "postgresql"

    def run(self, callback):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL jit = off")
            return callback()

    def matching(self, parsed, groups):
        if parsed is not None and not parsed.is_empty:
            where = f"d.vector @@ (to_tsquery('{CONFIG}', %s) && CAST(%s AS tsquery))"
            return f"{DOC} d", "d.postmortem_id", where, [parsed.to_tsquery(), _facet_tsquery(groups)]
        return f"{DOC} d", "d.postmortem_id", "d.vector @@ CAST(%s AS tsquery)", [_facet_tsquery(groups)]

    def json_elements(self, alias: str, column: str) -> str:
        return f"jsonb_array_elements_text({alias}.{column}) AS j(value)"

    def page(self, cursor, parsed, groups, *, sort: str, offset: int, limit: int) -> tuple[Counts, list[int]]:
        """Return counts, facets and the page's ids in one statement that scans the matches once."""
        source, _, where, params = self.matching(parsed, groups)
        if sort == "relevance" and parsed is not None and parsed.has_positive:
            ranked = f"""c AS (SELECT id FROM m ORDER BY id DESC LIMIT %s),
                r AS (SELECT c.id, row_number() OVER (
                          ORDER BY ts_rank(d.vector, to_tsquery('{CONFIG}', %s)) DESC, c.id DESC) AS position
                      FROM c JOIN {DOC} d ON d.postmortem_id = c.id)"""
            ranked_params = [max(RANK_CANDIDATES, offset + limit), parsed.to_tsquery()]
        else:
            order = ("o.severity ASC, o.occurred_at DESC, o.postmortem_id DESC" if sort == "severity"
                     else "o.occurred_at DESC, o.postmortem_id DESC")
            ranked = f"""r AS (SELECT o.postmortem_id AS id, row_number() OVER (ORDER BY {order}) AS position
                      FROM m JOIN {FACTS} o ON o.postmortem_id = m.id)"""
            ranked_params = []
        arms = ["SELECT 'total', CAST(s.total AS TEXT), s.step FROM s",
                "SELECT 'hit', CAST(r.id AS TEXT), r.position FROM r WHERE r.position > %s AND r.position <= %s"]
        for facet, column in SCALAR_FACETS.items():
            arms.append(f"SELECT '{facet}', CAST(f.{column} AS TEXT), COUNT(*) FROM f GROUP BY f.{column}")
        for facet, column in FACET_COLUMNS.items():
            arms.append(f"SELECT '{facet}', j.value, COUNT(*) FROM f, {self.json_elements('f', column)} "
                        f"GROUP BY j.value")
        cursor.execute(
            f"""WITH m AS MATERIALIZED (SELECT d.postmortem_id AS id FROM {source} WHERE {where}),
                s AS (SELECT COUNT(*) AS total, GREATEST(1, CEIL(COUNT(*) / %s::numeric))::int AS step FROM m),
                f AS MATERIALIZED (
                    SELECT o.status, o.severity, o.year, o.tag_ids, o.team_ids, o.category_ids
                    FROM m JOIN {FACTS} o ON o.postmortem_id = m.id, s WHERE m.id %% s.step = 0),
                {ranked}
            """ + " UNION ALL ".join(arms),
            [*params, FACET_SAMPLE, *ranked_params, offset, offset + limit],
        )
        total, step, hits = 0, 1, []
        facets = {name: {} for name in (*SCALAR_FACETS, *FACET_COLUMNS)}
        for kind, value, number in cursor.fetchall():
            if kind == "total":
                total, step = int(value), number
            elif kind == "hit":
                hits.append((number, int(value)))
            else:
                facets[kind][value] = number
        if step > 1:
            facets = {name: {v: min(total, n * step) for v, n in values.items()} for name, values in facets.items()}
        return Counts(total, facets, estimated=step > 1), [pk for _, pk in sorted(hits)]

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

    def term_candidates(self, cursor, word: str, *, limit: int) -> list[str]:
        cursor.execute(
            "SELECT word FROM knowledge_searchterm WHERE word %% %s AND word <> %s "
            "ORDER BY similarity(word, %s) DESC, word LIMIT %s",
            [word, word, word, limit],
        )
        return [row[0] for row in cursor.fetchall()]

    def newest_with_any(self, cursor, tokens, groups, limit):
        cursor.execute(
            f"""WITH m AS MATERIALIZED (SELECT d.postmortem_id FROM {DOC} d WHERE d.vector @@ CAST(%s AS tsquery))
                SELECT postmortem_id FROM m ORDER BY postmortem_id DESC LIMIT %s""",
            [_facet_tsquery([tokens, *groups]), limit],
        )
        return [row[0] for row in cursor.fetchall()]

    def similar_by_text(self, cursor, words, groups, exclude_id, limit):
        if not words:
            return []
        tsquery = " | ".join(f"'{w}'" for w in words)
        cursor.execute(
            f"""WITH q AS (SELECT to_tsquery('{CONFIG}', %s) AS query),
                m AS MATERIALIZED (
                    SELECT d.postmortem_id FROM {DOC} d, q
                    WHERE d.vector @@ (q.query && CAST(%s AS tsquery)) AND d.postmortem_id <> %s),
                c AS (SELECT postmortem_id FROM m ORDER BY postmortem_id DESC LIMIT %s),
                r AS (SELECT d.postmortem_id, ts_rank(d.head, q.query) AS score
                      FROM c JOIN {DOC} d ON d.postmortem_id = c.postmortem_id, q)
                SELECT postmortem_id, score FROM r WHERE score > 0
                ORDER BY score DESC, postmortem_id DESC LIMIT %s""",
            [tsquery, _facet_tsquery(groups), exclude_id or 0, RANK_CANDIDATES, limit],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]
