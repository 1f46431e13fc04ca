"""Insights: what the incidents teach, as aggregates computed by the database.

Every figure is a GROUP BY in SQL: counts with FILTER, months truncated in the reader's time
zone, percentiles with PERCENTILE_CONT on PostgreSQL and with window functions on SQLite (which
return only the two rows around each percentile). Python arranges the grouped rows, never the
post-mortems themselves, so the number of queries and the rows fetched do not grow with the
archive. Which post-mortems and months count: knowledge/insights/periods.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from taggit.models import Tag

from knowledge.insights.periods import (
    Scope,
    belonging_to,
    clip,
    in_period,
    incident_time,
    month_of,
    postmortem_tags,
    scoped_postmortems,
    within,
)
from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    LanguageFinding,
    LanguageRule,
    PostMortem,
    Severity,
    Status,
    Team,
)

MEASURES = {"detect": "detected_at", "mitigate": "mitigated_at", "resolve": "resolved_at"}
MEASURE_LABELS = {"detect": "Time to detect", "mitigate": "Time to mitigate", "resolve": "Time to resolve"}
FRACTIONS = (0.5, 0.9)
TOP_LIMIT = 10
RECURRING_LIMIT = 20

# --- Database functions -----------------------------------------------------------------------


class SecondsBetween(Func):
    """Seconds from `start` to `end` (two datetimes), as a float."""

    arity = 2
    output_field = FloatField()

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # pragma: no cover - PostgreSQL and SQLite only
        raise NotImplementedError(f"SecondsBetween is not written for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ", **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="ROUND((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(", **extra_context,
        )


def duration_seconds(start: str, end: str) -> Case:
    """Seconds from `start` to `end` when both are set and in order; NULL otherwise."""
    return Case(
        When(Q(**{f"{start}__isnull": False, f"{end}__gte": F(start)}), then=SecondsBetween(start, end)),
        default=Value(None),
        output_field=FloatField(),
    )


def has_duration(measure: str) -> Q:
    end = MEASURES[measure]
    return Q(started_at__isnull=False, **{f"{end}__gte": F("started_at")})


@dataclass(frozen=True)
class Spread:
    """How many values a figure rests on, and their median and 90th percentile."""

    n: int = 0
    median: float | None = None
    p90: float | None = None


def _month_key(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's raw TruncMonth: 'YYYY-MM-01 00:00:00'
        return date(int(value[:4]), int(value[5:7]), 1)
    return date(value.year, value.month, 1)


def spreads(qs: QuerySet, *, month, values: dict, counts: dict | None = None) -> tuple[dict, dict]:
    """Return ({month: {name: Spread, count: n}}, {name: Spread}) of each value expression over `qs`.

    `month` is a TruncMonth expression; `counts` maps names to a Q condition (None: every row) to
    count per month. A month appears when it has rows; a Spread when it has at least one value.
    Computed in the database, whatever the number of rows: one query on PostgreSQL (GROUPING SETS
    give the months and the whole period in one pass), two on SQLite.
    """
    counts = counts or {}
    if connection.vendor == "postgresql":
        return _spreads_postgresql(qs, month=month, values=values, counts=counts)
    by_month, overall = _spreads_window(qs, month=month, values=values)
    if counts:
        aggregates = {name: Count("pk", filter=q) if q is not None else Count("pk") for name, q in counts.items()}
        for row in qs.annotate(month=month).values("month").annotate(**aggregates).order_by():
            figures = by_month.setdefault(_month_key(row["month"]), {})
            figures.update({name: row[name] for name in counts})
    return by_month, overall


def _flags(counts: dict) -> dict:
    return {
        f"c_{name}": Value(1) if q is None else Case(When(q, then=Value(1)), default=Value(0))
        for name, q in counts.items()
    }


def _spreads_postgresql(qs, *, month, values, counts):
    inner = qs.annotate(grp=month, **{f"v_{name}": expr for name, expr in values.items()}, **_flags(counts))
    columns = ["grp", *(f"v_{name}" for name in values), *(f"c_{name}" for name in counts)]
    inner_sql, params = inner.values(*columns).order_by().query.sql_with_params()
    selects = ["grp", "GROUPING(grp)"] + [f"SUM(c_{name})" for name in counts]
    for name in values:
        selects.append(f"COUNT(v_{name})")
        selects += [f"PERCENTILE_CONT({f!r}) WITHIN GROUP (ORDER BY v_{name})" for f in FRACTIONS]
    sql = f"SELECT {', '.join(selects)} FROM ({inner_sql}) AS src GROUP BY GROUPING SETS ((grp), ())"
    by_month: dict = {}
    overall = {name: Spread() for name in values}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        grp, is_overall, rest = row[0], row[1], list(row[2:])
        figures = {name: rest.pop(0) for name in counts}
        for name in values:
            n, median, p90 = rest.pop(0), rest.pop(0), rest.pop(0)
            if n:
                figures[name] = Spread(n, median, p90)
        if is_overall:
            overall.update({name: figures[name] for name in values if name in figures})
        else:
            by_month[_month_key(grp)] = figures
    return by_month, overall


def _interpolate(n: int, ranked: dict[int, float], fraction: float) -> float:
    position = (n - 1) * fraction
    lower = int(position)
    low = ranked[lower + 1]
    high = ranked.get(lower + 2, low)
    return low + (position - lower) * (high - low)


def _spreads_window(qs, *, month, values):
    """Percentiles without PERCENTILE_CONT: rank values per group, fetch only the rows around each percentile."""
    annotations = {f"v_{name}": expr for name, expr in values.items()}
    inner = qs.annotate(grp=month, **annotations)
    inner_sql, inner_params = inner.values("grp", *annotations).order_by().query.sql_with_params()
    selects = []
    for name in values:
        selects.append(f"SELECT grp, '{name}' AS metric, v_{name} AS v FROM src WHERE v_{name} IS NOT NULL")
        selects.append(f"SELECT '*', '{name}', v_{name} FROM src WHERE v_{name} IS NOT NULL")
    wanted = ", ".join(f"CAST((n - 1) * {f!r} AS INTEGER) + {k}" for f in FRACTIONS for k in (1, 2))
    sql = (
        f"WITH src AS MATERIALIZED ({inner_sql}), vals AS ({' UNION ALL '.join(selects)}), "
        "ranked AS (SELECT grp, metric, v, ROW_NUMBER() OVER (PARTITION BY grp, metric ORDER BY v) AS rn, "
        "COUNT(*) OVER (PARTITION BY grp, metric) AS n FROM vals) "
        f"SELECT grp, metric, n, rn, v FROM ranked WHERE rn IN ({wanted})"
    )
    groups: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, inner_params)
        for grp, metric, n, rn, v in cursor.fetchall():
            entry = groups.setdefault((grp, metric), {"n": n, "ranked": {}})
            entry["ranked"][rn] = v
    by_month: dict = {}
    overall = {name: Spread() for name in values}
    for (grp, metric), entry in groups.items():
        n, ranked = entry["n"], entry["ranked"]
        spread = Spread(n, _interpolate(n, ranked, 0.5), _interpolate(n, ranked, 0.9))
        if grp == "*":
            overall[metric] = spread
        else:
            by_month.setdefault(_month_key(grp), {})[metric] = spread
    return by_month, overall


# --- The aggregates ---------------------------------------------------------------------------


def postmortem_figures(pms: QuerySet, tz: tzinfo, months: list[date] | None = None) -> tuple[dict, dict]:
    """Return ({month: counts and spreads}, {measure: Spread}) for the post-mortems `pms`.

    Per month: 'sev1' … 'sev4', 'draft', 'in_review', 'published', 'total' (how many post-mortems)
    and 'detect', 'mitigate', 'resolve' (a Spread of seconds from the incident's start, present
    when at least one post-mortem of the month has both times). Months with nothing are absent.
    """
    counts = {s: Q(severity=s) for s in Severity.values} | {s: Q(status=s) for s in Status.values}
    counts["total"] = None
    values = {name: duration_seconds("started_at", end) for name, end in MEASURES.items()}
    return spreads(pms, month=month_of(incident_time(), tz, months), values=values, counts=counts)


def factors_per_month(pms: QuerySet, tz: tzinfo, months: list[date] | None = None) -> dict[date, dict[int, int]]:
    """Return {month: {category id: number of post-mortems with a factor in it}}."""
    rows = (
        pms.filter(factors__isnull=False)
        .annotate(month=month_of(incident_time(), tz, months))
        .values("month", "factors__category_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    result: dict = {}
    for row in rows:
        result.setdefault(_month_key(row["month"]), {})[row["factors__category_id"]] = row["n"]
    return result


def top_tags(pms: QuerySet, limit: int = RECURRING_LIMIT) -> list[dict]:
    """Return the tags carried by most of `pms`: [{'name', 'slug', 'n'}], most first."""
    rows = (
        pms.filter(tags__isnull=False)
        .values("tags__id", "tags__name", "tags__slug")
        .annotate(n=Count("pk"))
        .order_by("-n", "tags__name")[:limit]
    )
    return [{"name": r["tags__name"], "slug": r["tags__slug"], "n": r["n"]} for r in rows]


def top_teams(pms: QuerySet, limit: int = TOP_LIMIT) -> list[dict]:
    """Return the teams named on most of `pms`: [{'name', 'slug', 'n'}], most first."""
    rows = (
        pms.filter(teams__isnull=False)
        .values("teams__id", "teams__name", "teams__slug")
        .annotate(n=Count("pk"))
        .order_by("-n", "teams__name")[:limit]
    )
    return [{"name": r["teams__name"], "slug": r["teams__slug"], "n": r["n"]} for r in rows]


def action_items_per_month(scoped: QuerySet, scope: Scope, months: list[date] | None = None) -> tuple[dict, dict]:
    """Return ({month: {'created', 'done', 'wont_do', 'days': Spread}}, totals) for the period.

    Items are counted by their own dates: created in the month, or closed (done / won't do) in it.
    'days' is the median and 90th percentile of days from creation to done, by month of completion.
    """
    items = belonging_to(ActionItem.objects.order_by(), scoped)
    created_in = within("created_at", scope.start_dt, scope.end_dt)
    closed_in = within("completed_at", scope.start_dt, scope.end_dt)
    days = Case(
        When(status=ActionStatus.DONE, completed_at__gte=F("created_at"),
             then=SecondsBetween("created_at", "completed_at") / Value(86400.0)),
        default=Value(None),
        output_field=FloatField(),
    )
    closed_counts = {"done": Q(status=ActionStatus.DONE), "wont_do": Q(status=ActionStatus.WONT_DO)}
    if connection.vendor == "postgresql":
        created, closed, overall = _action_months_postgresql(
            items, scope, created_in=created_in, closed_in=closed_in, days=days, closed_counts=closed_counts
        )
    else:
        rows = (items.filter(created_in).annotate(month=month_of("created_at", scope.tz, months))
                .values("month").annotate(n=Count("pk")))
        created = {_month_key(row["month"]): row["n"] for row in rows}
        closed, overall = spreads(items.filter(closed_in), month=month_of("completed_at", scope.tz, months),
                                  values={"days": days}, counts=closed_counts)
    result: dict = {}
    for month in set(created) | set(closed):
        figures = closed.get(month, {})
        result[month] = {"created": created.get(month, 0), "done": figures.get("done", 0),
                         "wont_do": figures.get("wont_do", 0), "days": figures.get("days", Spread())}
    totals = {key: sum(f[key] for f in result.values()) for key in ("created", "done", "wont_do")}
    totals["days"] = overall["days"]
    return result, totals


def _action_months_postgresql(items, scope, *, created_in, closed_in, days, closed_counts):
    """Items created per month, closed per month (with days to done) and overall, in one pass (GROUPING SETS)."""
    inner = items.filter(created_in | closed_in).annotate(
        created_month=TruncMonth("created_at", tzinfo=scope.tz),
        closed_month=TruncMonth("completed_at", tzinfo=scope.tz),
        v_days=Case(When(closed_in, then=days), default=Value(None), output_field=FloatField()),
        **_flags({"created": created_in} | {name: closed_in & q for name, q in closed_counts.items()}),
    )
    columns = ["created_month", "closed_month", "v_days", "c_created", *(f"c_{name}" for name in closed_counts)]
    inner_sql, params = inner.values(*columns).order_by().query.sql_with_params()
    percentiles = ", ".join(f"PERCENTILE_CONT({f!r}) WITHIN GROUP (ORDER BY v_days)" for f in FRACTIONS)
    sums = ", ".join(f"SUM(c_{name})" for name in closed_counts)
    sql = (
        f"SELECT created_month, closed_month, GROUPING(created_month), GROUPING(closed_month), SUM(c_created), "
        f"{sums}, COUNT(v_days), {percentiles} FROM ({inner_sql}) AS src "
        "GROUP BY GROUPING SETS ((created_month), (closed_month), ())"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    created, closed, overall = {}, {}, {"days": Spread()}
    # GROUPING(column) is 0 in the rows grouped by that column, 1 where it was rolled up.
    for created_month, closed_month, rolled_created, rolled_closed, n_created, *rest in rows:
        counts = dict(zip(closed_counts, rest[: len(closed_counts)], strict=True))
        n, median, p90 = rest[len(closed_counts):]
        spread = Spread(n, median, p90) if n else Spread()
        if not rolled_created:  # the month items were created in
            if created_month is not None and n_created:
                created[_month_key(created_month)] = n_created
        elif not rolled_closed:  # the month items were closed in
            if closed_month is not None and any(counts.values()):
                closed[_month_key(closed_month)] = counts | ({"days": spread} if n else {})
        else:
            overall["days"] = spread
    return created, closed, overall


def open_action_items_by_team(scoped: QuerySet, today: date) -> tuple[list[dict], dict]:
    """Return ([{'name', 'slug', 'open', 'overdue'}] by team, most open first; totals) as of today.

    An item counts under every team of its post-mortem; 'No team' collects the rest. Totals count
    each item once. Open now means whatever the item's age, so the period does not apply.
    """
    # Written in SQL to join items straight to the post-mortems' teams: the ORM would join the
    # post-mortem table in between (a scan of every post-mortem, for nothing). A post-mortem names
    # each team once, so an item appears once per team; the totals count each item once.
    where = "a.status IN (%s, %s)"
    where_params = [ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value]
    if scoped.query.has_filters():
        scoped_sql, scoped_params = scoped.values("pk").query.sql_with_params()
        where += f" AND a.postmortem_id IN ({scoped_sql})"
        where_params += list(scoped_params)
    items, link, team = ActionItem._meta.db_table, PostMortem.teams.through._meta.db_table, Team._meta.db_table
    counts = "COUNT(DISTINCT a.id), COUNT(DISTINCT a.id) FILTER (WHERE a.due_date < %s)"
    by_team = (
        f"FROM {items} a LEFT JOIN {link} pt ON pt.postmortem_id = a.postmortem_id "
        f"LEFT JOIN {team} t ON t.id = pt.team_id WHERE {where}"
    )
    if connection.vendor == "postgresql":  # teams and the whole in one pass
        sql = (f"SELECT t.name, t.slug, GROUPING(t.slug), {counts} {by_team} "
               "GROUP BY GROUPING SETS ((t.name, t.slug), ())")
        params = [today, *where_params]
    else:
        sql = (
            f"SELECT t.name, t.slug, 0, {counts} {by_team} GROUP BY t.name, t.slug "
            f"UNION ALL SELECT NULL, NULL, 1, {counts} FROM {items} a WHERE {where}"
        )
        params = [today, *where_params, today, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    teams, totals = [], {"open": 0, "overdue": 0}
    for name, slug, is_total, n_open, n_overdue in rows:
        if is_total:
            totals = {"open": n_open, "overdue": n_overdue}
        else:
            teams.append({"name": name, "slug": slug, "open": n_open, "overdue": n_overdue})
    teams.sort(key=lambda t: (-t["open"], t["name"] is None, t["name"] or ""))
    return teams, totals


def findings_per_month(scoped: QuerySet, scope: Scope, months: list[date] | None = None) -> dict[date, dict[str, int]]:
    """Return {month: {language category: findings recorded that month}} for the period."""
    rows = (
        belonging_to(LanguageFinding.objects.order_by(), scoped)
        .filter(within("created_at", scope.start_dt, scope.end_dt))
        .annotate(month=month_of("created_at", scope.tz, months))
        .values("month", "category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result: dict = {}
    for row in rows:
        result.setdefault(_month_key(row["month"]), {})[row["category"]] = row["n"]
    return result


def visible_tags(user) -> QuerySet:
    """Tags carried by at least one post-mortem `user` may see (restricted tags never leak)."""
    visible = PostMortem.objects.visible_to(user).order_by()
    tagged = postmortem_tags()
    if visible.query.has_filters():
        tagged = tagged.filter(object_id__in=visible.values("pk"))
    return Tag.objects.filter(pk__in=tagged.values("tag_id")).order_by("name")

# --- Drilling down: the post-mortems behind a figure -----------------------------------------


ACTION_FACETS = {
    "created": "with action items created",
    "done": "with action items completed",
    "wont_do": "with action items closed as won't do",
    "open": "with action items open now",
    "overdue": "with action items overdue now",
}


@dataclass(frozen=True)
class Facets:
    """What a single figure counts, on top of the page's scope."""

    month: date | None = None
    status: str = ""
    category: FactorCategory | None = None
    measure: str = ""
    action: str = ""
    finding: str = ""
    no_team: bool = False


def postmortems_behind(scope: Scope, facets: Facets) -> QuerySet:
    """Return the post-mortems a figure on the insights page counts."""
    scoped = scoped_postmortems(scope)
    if facets.no_team:
        scoped = scoped.filter(teams__isnull=True)
    if facets.action:
        items = ActionItem.objects.all()
        if facets.action in ("open", "overdue"):
            items = items.still_open() if facets.action == "open" else items.overdue(scope.today)
        else:
            start, end = clip(scope, facets.month)
            date_field = "created_at" if facets.action == "created" else "completed_at"
            items = items.filter(within(date_field, start, end))
            if facets.action != "created":
                items = items.filter(status=facets.action)
        qs = scoped.filter(pk__in=items.values("postmortem_id"))
    elif facets.finding:
        start, end = clip(scope, facets.month)
        findings = LanguageFinding.objects.filter(within("created_at", start, end))
        if facets.finding != "any":
            findings = findings.filter(category=facets.finding)
        qs = scoped.filter(pk__in=findings.values("postmortem_id"))
    else:
        start, end = clip(scope, facets.month)
        qs = in_period(scoped, scope, start=start, end=end)
        if facets.status:
            qs = qs.filter(status=facets.status)
        if facets.category is not None:
            qs = qs.filter(pk__in=ContributingFactor.objects.filter(category=facets.category).values("postmortem_id"))
        if facets.measure:
            qs = qs.filter(has_duration(facets.measure))
    return qs


def describe_facets(scope: Scope, facets: Facets) -> str:
    """Return a sentence naming what the drill-down lists, for its heading."""
    parts = []
    if scope.severity:
        parts.append(Severity(scope.severity).label)
    if facets.status:
        parts.append(Status(facets.status).label.lower())
    if scope.team is not None:
        parts.append(scope.team.name)
    parts.append("post-mortems")
    if facets.no_team:
        parts.append("with no team")
    if scope.tag is not None:
        parts.append(f"tagged {scope.tag.name}")
    if facets.category is not None:
        parts.append(f"with a {facets.category.name.lower()} factor")
    if facets.measure:
        parts.append(f"with incident times ({MEASURE_LABELS[facets.measure].lower()})")
    if facets.action:
        parts.append(ACTION_FACETS[facets.action])
    if facets.finding:
        kind = "" if facets.finding == "any" else f" ({LanguageRule.Category(facets.finding).label.lower()})"
        parts.append(f"with language findings{kind}")
    if facets.action in ("open", "overdue"):
        pass  # "now" says it: the period does not apply
    elif facets.month is not None:
        parts.append(f"in {facets.month:%B %Y}")
    elif scope.start is not None:
        parts.append(f"from {scope.start:%-d %b %Y} to {(scope.end or scope.today):%-d %b %Y}")
    text = " ".join(parts)
    return text[0].upper() + text[1:]

