"""What both engine backends share: the request and result shapes, visibility and facet SQL."""

from dataclasses import dataclass, field

from postmortems.models import PostMortem

DOC = "knowledge_searchdocument"
FACET_COLUMNS = {"tag": "tag_ids", "team": "team_ids", "factor": "category_ids"}
SCALAR_FACETS = {"severity": "severity", "year": "year", "status": "status"}


@dataclass(frozen=True)
class Viewer:
    """Whose eyes the search is for: facilitators see everything, others published-and-open plus their own."""

    user_id: int | None
    sees_all: bool = False


@dataclass
class Filters:
    tag_ids: list[int] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


@dataclass
class Hit:
    postmortem_id: int
    title: str  # engine output with \x02 \x03 around matched words; escaped by the caller
    snippet: str


@dataclass
class Page:
    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]


START, STOP = "\x02", "\x03"


class Backend:
    """SQL pieces both engines share. Subclasses say how text matches, ranks and highlights."""

    vendor = ""

    # -- engine-specific pieces -------------------------------------------------------------
    def json_contains(self, column: str) -> str:
        raise NotImplementedError

    def json_elements(self, alias: str, column: str) -> str:
        """Return a FROM item yielding `value` for each element of the JSON array `alias.column`."""
        raise NotImplementedError

    def text_source(self, parsed) -> tuple[str, str, list]:
        """Return (FROM clause, WHERE condition, params) restricting documents to text matches."""
        raise NotImplementedError

    def run(self, callback):
        return callback()

    # -- shared -----------------------------------------------------------------------------
    def visibility(self, viewer: Viewer) -> tuple[str, list]:
        if viewer.sees_all:
            return "1 = 1", []
        authors = PostMortem.authors.through._meta.db_table
        return (
            f"((d.status = %s AND d.restricted = %s) OR d.postmortem_id IN "
            f"(SELECT postmortem_id FROM {authors} WHERE user_id = %s))",
            ["published", False, viewer.user_id],
        )

    def conditions(self, viewer: Viewer, filters: Filters) -> tuple[list[str], list]:
        sql, params = self.visibility(viewer)
        where, values = [sql], list(params)
        for column, ids in (("tag_ids", filters.tag_ids), ("team_ids", filters.team_ids),
                            ("category_ids", filters.category_ids)):
            for value in ids:
                where.append(self.json_contains(column))
                values.append(self.json_value(value))
        for column, chosen in (("severity", filters.severities), ("year", filters.years),
                               ("status", filters.statuses)):
            if chosen:
                where.append(f"d.{column} IN ({', '.join(['%s'] * len(chosen))})")
                values.extend(chosen)
        return where, values

    def json_value(self, value: int):
        return value

    def matching(self, parsed, viewer: Viewer, filters: Filters, columns: str) -> tuple[str, list]:
        """Return a SELECT of `columns` over the visible documents matching the query and filters."""
        where, params = self.conditions(viewer, filters)
        if parsed is not None and not parsed.is_empty:
            source, condition, text_params = self.text_source(parsed)
            where.insert(0, condition)
            params = text_params + params
        else:
            source = f"{DOC} d"
        return f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)}", params

    def counts(self, cursor, parsed, viewer: Viewer, filters: Filters) -> tuple[int, dict[str, dict[str, int]]]:
        """Return the total and the facet counts of the matching set, in one query."""
        select, params = self.matching(
            parsed, viewer, filters, "d.postmortem_id, d.status, d.severity, d.year, d.tag_ids, d.team_ids, "
                                     "d.category_ids"
        )
        arms = ["SELECT 'total', '', COUNT(*) FROM m"]
        for facet, column in SCALAR_FACETS.items():
            arms.append(f"SELECT '{facet}', CAST(m.{column} AS TEXT), COUNT(*) FROM m GROUP BY m.{column}")
        for facet, column in FACET_COLUMNS.items():
            arms.append(
                f"SELECT '{facet}', CAST(j.value AS TEXT), COUNT(*) FROM m, {self.json_elements('m', column)} "
                f"GROUP BY j.value"
            )
        cursor.execute(f"WITH m AS MATERIALIZED ({select}) " + " UNION ALL ".join(arms), params)
        total, facets = 0, {name: {} for name in (*SCALAR_FACETS, *FACET_COLUMNS)}
        for facet, value, count in cursor.fetchall():
            if facet == "total":
                total = count
            else:
                facets[facet][str(value)] = count
        return total, facets

    def ordered_ids(self, cursor, parsed, viewer, filters, *, sort: str, offset: int, limit: int) -> list[int]:
        if sort == "relevance" and parsed is not None and parsed.has_positive:
            return self.ranked_ids(cursor, parsed, viewer, filters, offset=offset, limit=limit)
        order = {
            "severity": "d.severity ASC, d.occurred_at DESC, d.postmortem_id DESC",
        }.get(sort, "d.occurred_at DESC, d.postmortem_id DESC")
        select, params = self.matching(parsed, viewer, filters, "d.postmortem_id")
        cursor.execute(f"{select} ORDER BY {order} LIMIT %s OFFSET %s", [*params, limit, offset])
        return [row[0] for row in cursor.fetchall()]

    def ranked_ids(self, cursor, parsed, viewer, filters, *, offset: int, limit: int) -> list[int]:
        raise NotImplementedError

    def highlights(self, cursor, parsed, ids: list[int]) -> dict[int, tuple[str, str]]:
        """Return {id: (title, snippet)} with matched words between START and STOP, for `ids` only."""
        raise NotImplementedError

    def term_candidates(self, cursor, word: str) -> list[str]:
        raise NotImplementedError

    def similar_by_text(self, cursor, words: list[str], viewer: Viewer, exclude_id, limit: int):
        """Return [(id, score)] of visible documents whose title and summary share words, best first."""
        raise NotImplementedError
