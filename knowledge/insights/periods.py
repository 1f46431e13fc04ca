"""Insights' periods and scope: which post-mortems a figure counts, and the local months it groups them in.

Which post-mortems count: every post-mortem the reader may see (drafts and reviews included
for their authors and facilitators), so the published-versus-in-progress chart shows the split.
A post-mortem belongs to the month its incident started, or the month it was written when it
has no incident times. Action items and language findings are counted by their own dates.

Every period starts in 1970 at the earliest (where incident times may start, see
postmortems.models.incident_time_bounds) and ends today at the latest, "All time" included, so
the months run from the first one that holds data. An incident time outside those bounds that
is already stored (written before they were checked) leaves its post-mortem out of every figure
rather than stretching the months back to year 1 or on to 9999; the page says how many were left
out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import connection
from django.db.models import (
    CharField,
    Expression,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from postmortems.models import (
    EARLIEST_INCIDENT_TIME,
    PostMortem,
    Team,
    incident_time_bounds,
)

PERIODS = {"90d": "Last 90 days", "12m": "Last 12 months", "all": "All time", "custom": "Custom"}
DEFAULT_PERIOD = "12m"


# --- Period and scope -------------------------------------------------------------------------


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Return the first day of every month from `first`'s month to `last`'s month, inclusive."""
    months, month, last = [], first_of_month(first), first_of_month(last)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def period_bounds(period: str, *, today: date, start: date | None = None, end: date | None = None):
    """Return (first day or None, last day) of a named period, both inclusive, in local dates."""
    if period == "90d":
        return today - timedelta(days=89), today
    if period == "12m":
        return add_months(first_of_month(today), -11), today
    if period == "custom":
        return start, min(end or today, today)  # nothing has happened after today
    return None, today


def local_midnight(day: date, tz: tzinfo) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), tz)


@dataclass(frozen=True)
class Scope:
    """Who is looking, through which filters, over which local dates (inclusive)."""

    user: object
    tz: tzinfo
    today: date
    start: date | None = None
    end: date | None = None
    team: Team | None = None
    tag: Tag | None = None
    severity: str = ""

    @property
    def start_dt(self) -> datetime:
        """The first instant of the period: never before incident times may start, even for "All time"."""
        if self.start is None:
            return EARLIEST_INCIDENT_TIME
        return max(local_midnight(self.start, self.tz), EARLIEST_INCIDENT_TIME)

    @property
    def end_dt(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return local_midnight((self.end or self.today) + timedelta(days=1), self.tz)


def incident_time() -> Coalesce:
    """When a post-mortem happened: its incident start, or when it was written if it has no times."""
    return Coalesce("started_at", "created_at")


def within(field_name: str, start: datetime | None, end: datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field_name}__gte": start})
    if end is not None:
        q &= Q(**{f"{field_name}__lt": end})
    return q


def month_of(expression, tz: tzinfo, months: list[date] | None = None):
    """The local month a datetime expression falls in, for GROUP BY.

    TruncMonth in the reader's time zone. On SQLite, TruncMonth calls back into Python for every
    row; given the page's months it becomes a tree of comparisons with each month's first instant
    (computed here with zoneinfo, so daylight saving is exact), which SQLite evaluates itself.
    Rows outside those months still go through TruncMonth. Both give 'YYYY-MM-01 00:00:00' text.
    """
    truncated = TruncMonth(expression, tzinfo=tz)
    if connection.vendor != "sqlite" or not months:
        return truncated
    if isinstance(expression, str):
        expression = F(expression)
    starts = [local_midnight(m, tz) for m in months] + [local_midnight(add_months(months[-1], 1), tz)]
    labels = [f"{m.year:04d}-{m.month:02d}-01 00:00:00" for m in months]
    return MonthTree(expression, truncated, starts, labels)


class MonthTree(Expression):
    """SQLite: which of `labels` a datetime expression falls in, by a binary tree of comparisons with the
    months' first instants (`starts`, one more than labels); `fallback` for values outside them all.

    Written out as SQL text in one pass: built from Case and When expressions, the tree of a long
    period (56 years since 1970 are 680 months) took Django seconds to compile on every query.
    """

    output_field = CharField()

    def __init__(self, expression, fallback, starts: list[datetime], labels: list[str]):
        super().__init__(output_field=CharField())
        self.expression, self.fallback = expression, fallback
        self.starts, self.labels = starts, labels

    def get_source_expressions(self):
        return [self.expression, self.fallback]

    def set_source_expressions(self, exprs):
        self.expression, self.fallback = exprs

    def as_sql(self, compiler, connection, **extra_context):
        value_sql, value_params = compiler.compile(self.expression)
        fallback_sql, fallback_params = compiler.compile(self.fallback)
        starts = [connection.ops.adapt_datetimefield_value(start) for start in self.starts]
        sql, params = [], []

        def compare(operator: str, i: int) -> None:
            sql.append(f"{value_sql} {operator} %s")
            params.extend([*value_params, starts[i]])

        def tree(lo: int, hi: int) -> None:
            if hi - lo == 1:
                sql.append("%s")
                params.append(self.labels[lo])
                return
            mid = (lo + hi) // 2
            sql.append("CASE WHEN ")
            compare("<", mid)
            sql.append(" THEN ")
            tree(lo, mid)
            sql.append(" ELSE ")
            tree(mid, hi)
            sql.append(" END")

        sql.append("CASE WHEN ")
        compare("<", 0)
        sql.append(" OR ")
        compare(">=", len(starts) - 1)
        sql.append(f" THEN {fallback_sql} ELSE ")
        params.extend(fallback_params)
        tree(0, len(self.labels))
        sql.append(" END")
        return "".join(sql), params


def scoped_postmortems(scope: Scope) -> QuerySet:
    """Return the post-mortems `scope.user` may see that match the team, tag and severity filters."""
    qs = PostMortem.objects.visible_to(scope.user).order_by()
    # Subqueries rather than joins, so that the aggregates' own joins to teams and tags stay free.
    if scope.team is not None:
        qs = qs.filter(pk__in=PostMortem.teams.through.objects.filter(team=scope.team).values("postmortem_id"))
    if scope.tag is not None:
        qs = qs.filter(pk__in=postmortem_tags().filter(tag=scope.tag).values("object_id"))
    if scope.severity:
        qs = qs.filter(severity=scope.severity)
    return qs


def postmortem_tags() -> QuerySet:
    return TaggedItem.objects.filter(content_type__app_label="postmortems", content_type__model="postmortem")


def belonging_to(items: QuerySet, scoped: QuerySet) -> QuerySet:
    """Narrow rows with a `postmortem` foreign key to those of `scoped` (skipped when it is every post-mortem)."""
    if not scoped.query.has_filters():
        return items
    return items.filter(postmortem__in=scoped.values("pk"))


def in_period(qs: QuerySet, scope: Scope, *, start=None, end=None) -> QuerySet:
    """Narrow post-mortems to incidents between `start` and `end` (default: the scope's period)."""
    start = start if start is not None else scope.start_dt
    end = end if end is not None else scope.end_dt
    if start is None and end is None:
        return qs
    # COALESCE(started_at, created_at) in range, spelled so the planner can use the columns' statistics.
    return qs.filter(within("started_at", start, end) | (Q(started_at__isnull=True) & within("created_at", start, end)))


def outside_incident_times(qs: QuerySet) -> QuerySet:
    """Narrow post-mortems to those whose incident time lies outside the bounds incident times have now
    (stored before they were checked): every period leaves them out."""
    earliest, latest = incident_time_bounds()
    started = Q(started_at__lt=earliest) | Q(started_at__gt=latest)
    written = Q(created_at__lt=earliest) | Q(created_at__gt=latest)
    return qs.filter(started | (Q(started_at__isnull=True) & written))


def month_bounds(month: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return local_midnight(month, tz), local_midnight(add_months(month, 1), tz)


def clip(scope: Scope, month: date | None) -> tuple[datetime | None, datetime]:
    """Return the bounds of `month` within the period, or the period's bounds when no month is given."""
    if month is None:
        return scope.start_dt, scope.end_dt
    start, end = month_bounds(month, scope.tz)
    if scope.start_dt is not None:
        start = max(start, scope.start_dt)
    return start, min(end, scope.end_dt)


