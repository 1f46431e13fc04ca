"""The insights page's charts and tables for one scope: each aggregate queried once, when first needed.

Just over 500 lines: one presenter, one property per chart; the queries, periods, charts and forms it
uses live beside it (queries.py, periods.py, charts.py, forms.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from knowledge.insights import charts, periods, queries
from knowledge.insights.charts import Cell
from knowledge.insights.periods import Scope
from postmortems.models import FactorCategory, LanguageRule, Severity, Status
from postmortems.shared_cache import cached

CATEGORY_KEYS = 10  # colours cycle through series--cat1 … cat10
FINDING_KEYS = {value: f"cat{i + 1}" for i, value in enumerate(LanguageRule.Category.values)}
STATUS_KEYS = {Status.DRAFT: "draft", Status.IN_REVIEW: "in-review", Status.PUBLISHED: "published"}


# --- Tables behind the charts -----------------------------------------------------------------


@dataclass
class Chart:
    slug: str
    title: str
    note: str
    columns: list[str]
    csv_columns: list[str]
    rows: list[list[Cell]]
    total: list[Cell] | None = None
    svgs: list[tuple[str, SafeString]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    empty: str = ""
    layout: str = "wide"  # wide: the whole row; half: shares a row; beside: table next to the chart

    def table(self) -> SafeString:
        return charts.table(caption=self.title, columns=self.columns, rows=self.rows, total=self.total)


def _count(n: int, href: str | None) -> Cell:
    return Cell(n, str(n), href if n else None)


def _text(text: str, href: str | None = None) -> Cell:
    return Cell(text, text, href, numeric=False)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _month_param(month: date) -> str:
    return f"{month:%Y-%m}"


def _axis_ticks(months: list[date], most: int = 12) -> list[str]:
    """Short month labels for a chart's axis, at most `most` of them, the year on January and the first."""
    step = math.ceil(len(months) / most) or 1
    ticks, last_year = [], None
    for i, month in enumerate(months):
        if i % step:
            ticks.append("")
            continue
        ticks.append(f"{month:%b} ’{month:%y}" if month.year != last_year else f"{month:%b}")
        last_year = month.year
    return ticks


class InsightsReport:
    """Every chart of the page for one scope; each aggregate is queried once, when first needed."""

    SLUGS = ("severity", "status", "durations", "factors", "recurring", "tags", "teams", "actions",
             "open-actions", "findings")

    def __init__(self, scope: Scope, params: dict):
        self.scope = scope
        self.params = params

    # Links
    def drill(self, **facets) -> str:
        """The link to the post-mortems behind a figure: the page's filters, overridden by `facets`."""
        facets = {k: _month_param(v) if isinstance(v, date) else v for k, v in facets.items() if v}
        base = self._drill_base(frozenset(facets))
        extra = urlencode(facets)
        return reverse("insights_postmortems") + "?" + (f"{base}&{extra}" if base and extra else base or extra)

    def _drill_base(self, overridden: frozenset) -> str:
        # Hundreds of links share the page's filters: encode them once per set of overridden keys.
        cache = self.__dict__.setdefault("_drill_bases", {})
        if overridden not in cache:
            cache[overridden] = urlencode({k: v for k, v in self.params.items() if k not in overridden})
        return cache[overridden]

    def library(self, **filters) -> str:
        query = {k: v for k, v in (("team", self._team_slug()), ("severity", self.scope.severity)) if v} | filters
        return reverse("postmortem_list") + "?" + urlencode(query)

    def search(self, **facets) -> str:
        query = {k: v for k, v in (("team", self._team_slug()), ("tag", self._tag_slug()),
                                   ("severity", self.scope.severity)) if v} | facets
        return reverse("search") + "?" + urlencode(query)

    def _team_slug(self):
        return self.scope.team.slug if self.scope.team else ""

    def _tag_slug(self):
        return self.scope.tag.slug if self.scope.tag else ""

    # Aggregates
    @cached_property
    def scoped(self):
        return periods.scoped_postmortems(self.scope)

    @cached_property
    def in_period(self):
        return periods.in_period(self.scoped, self.scope)

    @cached_property
    def aggregates(self) -> dict:
        """Every aggregate of the page, computed together, cached for the reader's audience until the next
        change to any post-mortem (postmortems/shared_cache.py): the all-time figures cost most."""
        scope = self.scope
        key = (getattr(scope.tz, "key", str(scope.tz)), scope.today, scope.start, scope.end,
               scope.team.pk if scope.team else "", scope.tag.pk if scope.tag else "", scope.severity)
        return cached("insights", user=scope.user, parts=key, compute=self._compute_aggregates)

    def _compute_aggregates(self) -> dict:
        months, scoped, in_period, scope = self._months(), self.scoped, self.in_period, self.scope
        return {
            "months": months,
            "left_out": self._left_out(),
            "figures": queries.postmortem_figures(in_period, scope.tz, months),
            "factors": queries.factors_per_month(in_period, scope.tz, months),
            "tags": queries.top_tags(in_period),
            "teams": queries.top_teams(in_period),
            "actions": queries.action_items_per_month(scoped, scope, months),
            "open_actions": queries.open_action_items_by_team(scoped, scope.today),
            "findings": queries.findings_per_month(scoped, scope, months),
        }

    def _months(self) -> list[date]:
        end = self.scope.end or self.scope.today
        start = self.scope.start
        if start is None:  # "All time": from the first month that holds a post-mortem (1970 at the earliest)
            earliest = self.in_period.aggregate(first=Min(periods.incident_time()))["first"]
            start = timezone.localtime(earliest, self.scope.tz).date() if earliest else end
        return periods.months_between(start, end)

    def _left_out(self) -> int:
        """How many post-mortems "All time" leaves out for an incident time before 1970 or more than a
        year ahead (stored before such times were refused). Other periods leave them out as well; they
        are counted where someone looks for everything."""
        if self.scope.start is not None:
            return 0
        return periods.outside_incident_times(self.scoped).count()

    @property
    def months(self) -> list[date]:
        return self.aggregates["months"]

    @property
    def left_out(self) -> int:
        return self.aggregates["left_out"]

    def axis(self, *keyed: dict) -> list[date]:
        """The page's months, stretched to hold any month a chart's data falls in."""
        keys = {k for data in keyed for k in data}
        months = self.months
        if keys and (min(keys) < months[0] or max(keys) > months[-1]):
            months = periods.months_between(min(min(keys), months[0]), max(max(keys), months[-1]))
        return months

    @property
    def figures(self):
        return self.aggregates["figures"]

    @property
    def per_month(self):
        return self.figures[0]

    @property
    def durations(self):
        return self.figures

    @property
    def factors(self):
        return self.aggregates["factors"]

    @cached_property
    def categories(self):
        return list(FactorCategory.objects.order_by("position", "name"))

    @property
    def tags(self):
        return self.aggregates["tags"]

    @property
    def teams(self):
        return self.aggregates["teams"]

    @property
    def actions(self):
        return self.aggregates["actions"]

    @property
    def open_actions(self):
        return self.aggregates["open_actions"]

    @property
    def findings(self):
        return self.aggregates["findings"]

    # Charts
    def chart(self, slug: str) -> Chart:
        if slug not in self.SLUGS:
            raise KeyError(slug)
        return getattr(self, "chart_" + slug.replace("-", "_"))()

    def all_charts(self) -> list[Chart]:
        return [self.chart(slug) for slug in self.SLUGS]

    def _monthly(self, slug, title, note, months, series_spec, data, *, link, svg=charts.stacked_bars) -> Chart:
        """A months × series table of counts with a total column and row, and its chart."""
        labels = [f"{m:%b %Y}" for m in months]
        rows, series = [], []
        for key, label, css in series_spec:
            values = [data.get(m, {}).get(key, 0) for m in months]
            series.append(charts.Series(css, label, values, [link(m, key) for m in months]))
        for i, month in enumerate(months):
            total = sum(s.values[i] for s in series)
            cells = [_text(labels[i])] + [_count(s.values[i], s.hrefs[i]) for s in series]
            rows.append(cells + [_count(total, link(month, None))])
        sums = [sum(s.values) for s in series]
        total_row = [_text("All months")]
        total_row += [_count(n, link(None, key)) for n, (key, *_) in zip(sums, series_spec, strict=True)]
        total_row.append(_count(sum(sums), link(None, None)))
        columns = ["Month", *(label for _, label, _ in series_spec), "Total"]
        desc = f"{title}: " + "; ".join(f"{label} {n}" for (_, label, _), n in zip(series_spec, sums, strict=True))
        chart = Chart(slug, title, note, columns, columns, rows, total_row)
        chart.legend = [(css, label) for _, label, css in series_spec]
        if not sum(sums):
            chart.empty = "Nothing to count in this period."
        chart.svgs = [(title, svg(chart_id=f"chart-{slug}", title=title, desc=desc, labels=labels,
                                  ticks=_axis_ticks(months), series=series))]
        return chart

    def chart_severity(self) -> Chart:
        spec = [(s.value, s.label, s.value) for s in Severity]
        return self._monthly(
            "severity", "Post-mortems per month, by severity",
            "Each post-mortem counts in the month its incident started (or was written, when it has no times).",
            self.axis(self.per_month), spec, self.per_month,
            link=lambda m, key: self.drill(month=m, severity=key),
        )

    def chart_status(self) -> Chart:
        spec = [(s.value, s.label, STATUS_KEYS[s]) for s in (Status.PUBLISHED, Status.IN_REVIEW, Status.DRAFT)]
        return self._monthly(
            "status", "Published, and still in draft or review",
            "How many of each month's post-mortems are published and how many are still being written.",
            self.axis(self.per_month), spec, self.per_month,
            link=lambda m, key: self.drill(month=m, status=key),
        )

    def chart_factors(self) -> Chart:
        used = {cid for per in self.factors.values() for cid in per}
        categories = [c for c in self.categories if c.pk in used]
        spec = [(c.pk, c.name, f"cat{i % CATEGORY_KEYS + 1}") for i, c in enumerate(categories)]
        by_slug = {c.pk: c.slug for c in categories}
        chart = self._monthly(
            "factors", "Contributing factors by category",
            "Post-mortems with at least one contributing factor in each category, by incident month.",
            self.axis(self.factors), spec, self.factors,
            link=lambda m, key: self.drill(month=m, category=by_slug.get(key, "")),
        )
        # A post-mortem with factors in two categories counts once in each, so a row's sum is no count
        # of post-mortems: leave the total column out.
        del chart.columns[-1]
        for row in chart.rows + [chart.total]:
            del row[-1]
        return chart

    def chart_durations(self) -> Chart:
        by_month, overall = self.durations
        months = self.axis(by_month)
        labels = [f"{m:%b %Y}" for m in months]
        columns, csv_columns = ["Month"], ["Month"]
        for label in queries.MEASURE_LABELS.values():
            short = label.removeprefix("Time to ").capitalize()
            columns += [f"{short}: n", f"{short}: median", f"{short}: 90th percentile"]
            csv_columns += [f"{short}: n", f"{short}: median (minutes)", f"{short}: 90th percentile (minutes)"]

        def cells(figures: dict, month: date | None) -> list[Cell]:
            out = []
            for name in queries.MEASURES:
                spread = figures.get(name, queries.Spread())
                behind = self.drill(month=month, measure=name) if spread.n else None
                out.append(_count(spread.n, behind))
                for value in (spread.median, spread.p90):
                    text = charts.format_duration(value) if value is not None else "—"
                    out.append(Cell(_minutes(value), text, behind))
            return out

        rows = [[_text(labels[i])] + cells(by_month.get(m, {}), m) for i, m in enumerate(months)]
        total = [_text("Whole period")] + cells(overall, None)
        chart = Chart("durations", "Time to detect, mitigate and resolve", (
            "Median and 90th percentile from the incident's start, by incident month; n is how many "
            "post-mortems each figure rests on (those with both times recorded)."
        ), columns, csv_columns, rows, total)
        chart.legend = [("median", "Median"), ("p90", "90th percentile")]
        if not any(s.n for s in overall.values()):
            chart.empty = "No post-mortem in this period has its incident times recorded."
        for name, label in queries.MEASURE_LABELS.items():
            spread = overall.get(name, queries.Spread())
            desc = (f"{label}, whole period: median {charts.format_duration(spread.median)}, "
                    f"90th percentile {charts.format_duration(spread.p90)}, from {spread.n} post-mortems.")
            series = [
                charts.Series("median", "Median", [by_month.get(m, {}).get(name, queries.Spread()).median
                                                   for m in months],
                              [self.drill(month=m, measure=name) for m in months]),
                charts.Series("p90", "90th percentile", [by_month.get(m, {}).get(name, queries.Spread()).p90
                                                         for m in months], dashed=True),
            ]
            svg = charts.duration_lines(chart_id=f"chart-durations-{name}", title=label, desc=desc, labels=labels,
                                        ticks=_axis_ticks(months, 5), series=series, width=360, height=220)
            chart.svgs.append((label, svg))
        return chart

    def chart_recurring(self) -> Chart:
        totals: dict[int, int] = {}
        months_seen: dict[int, int] = {}
        for per in self.factors.values():
            for cid, n in per.items():
                totals[cid] = totals.get(cid, 0) + n
                months_seen[cid] = months_seen.get(cid, 0) + 1
        n_months = len(self.months)
        rows, category_bars, tag_bars = [], [], []
        for category in sorted(self.categories, key=lambda c: (-totals.get(c.pk, 0), c.position, c.name)):
            n = totals.get(category.pk, 0)
            if n < 2:
                continue
            rows.append([
                _text("Factor category"), _text(category.name, self.search(category=category.slug)),
                _count(n, self.drill(category=category.slug)),
                Cell(months_seen[category.pk], str(months_seen[category.pk]), self.drill(category=category.slug)),
            ])
            category_bars.append(charts.Bar(category.name, n, self.drill(category=category.slug), "cat1"))
        for tag in [t for t in self.tags if t["n"] >= 2][: queries.TOP_LIMIT]:
            rows.append([
                _text("Tag"), _text(tag["name"], self.library(tag=tag["slug"])),
                _count(tag["n"], self.drill(tag=tag["slug"])), Cell(None, ""),
            ])
            tag_bars.append(charts.Bar(tag["name"], tag["n"], self.drill(tag=tag["slug"]), "cat2"))
        columns = ["Kind", "Name", "Post-mortems", f"Months it appears in (of {n_months})"]
        chart = Chart("recurring", "Recurring factors", (
            "Factor categories and tags (the ten most frequent) that appear in two or more post-mortems of "
            "the period. Names open the library and search; counts open the post-mortems behind them."
        ), columns, columns, rows)
        if not rows:
            chart.empty = "Nothing recurred in this period."
        for title, bars in (("Factor categories", category_bars), ("Tags", tag_bars)):
            if bars:
                desc = "; ".join(f"{b.label}: {b.value:g}" for b in bars)
                svg = charts.horizontal_bars(chart_id=f"chart-recurring-{title.split()[-1].lower()}",
                                             title=f"Recurring {title.lower()}", desc=desc, bars=bars)
                chart.svgs.append((title, svg))
        return chart

    def chart_actions(self) -> Chart:
        by_month, totals = self.actions
        months = self.axis(by_month)
        labels = [f"{m:%b %Y}" for m in months]
        spec = [("created", "Created", "created"), ("done", "Completed", "done"), ("wont_do", "Won't do", "wont-do")]
        series = [
            charts.Series(css, label, [by_month.get(m, {}).get(key, 0) for m in months],
                          [self.drill(month=m, action=key) for m in months])
            for key, label, css in spec
        ]

        def days(spread, month=None):
            if spread.median is None:
                return Cell(None, "—")
            return Cell(round(spread.median, 1), f"{spread.median:.1f}", self.drill(month=month, action="done"))

        rows = []
        for i, m in enumerate(months):
            figures = by_month.get(m, {})
            rows.append([_text(labels[i])] + [_count(figures.get(key, 0), self.drill(month=m, action=key))
                                              for key, *_ in spec] + [days(figures.get("days", queries.Spread()), m)])
        total = [_text("All months")] + [_count(totals[key], self.drill(action=key)) for key, *_ in spec]
        total.append(days(totals["days"]))
        columns = ["Month", "Created", "Completed", "Won't do", "Median days to complete"]
        chart = Chart("actions", "Action items created and completed", (
            "Counted by the month each item was created, completed or closed as won't do. Median days "
            "from creation to completion, by month of completion."
        ), columns, columns, rows, total)
        chart.legend = [(css, label) for _, label, css in spec]
        if not (totals["created"] or totals["done"] or totals["wont_do"]):
            chart.empty = "No action item was created or closed in this period."
        desc = f"Created {totals['created']}, completed {totals['done']}, won't do {totals['wont_do']}."
        chart.svgs = [("Action items", charts.grouped_bars(
            chart_id="chart-actions", title="Action items created and completed per month", desc=desc,
            labels=labels, ticks=_axis_ticks(months), series=series))]
        return chart

    def chart_open_actions(self) -> Chart:
        teams, totals = self.open_actions
        rows, bars = [], []
        for team in teams:
            name = team["name"] or "No team"
            facet = {"team": team["slug"]} if team["slug"] else {"noteam": "1"}
            tracker = reverse("action_item_list") + "?" + urlencode({"owner": "all", "status": "open", **facet})
            rows.append([
                _text(name, tracker),
                _count(team["open"], self.drill(action="open", **facet)),
                _count(team["overdue"], self.drill(action="overdue", **facet)),
            ])
            bars.append(charts.Bar(name, team["open"], self.drill(action="open", **facet), "open"))
        total = [_text("All teams"), _count(totals["open"], self.drill(action="open")),
                 _count(totals["overdue"], self.drill(action="overdue"))]
        columns = ["Team", "Open", "Overdue"]
        chart = Chart("open-actions", "Open and overdue action items now, by team", (
            "Action items still open or in progress today, whatever their age; overdue ones are past "
            "their due date. An item counts under each team of its post-mortem."
        ), columns, columns, rows, total)
        chart.legend = [("open", "Open"), ("overdue", "Overdue")]
        chart.layout = "beside"
        if not totals["open"]:
            chart.empty = "No action item is open."
        overdue = {b.label: t["overdue"] for b, t in zip(bars, teams, strict=True)}
        desc = f"{totals['open']} open, {totals['overdue']} overdue. " + "; ".join(
            f"{b.label}: {b.value:g} open, {overdue[b.label]} overdue" for b in bars)
        chart.svgs = [("Open action items", charts.horizontal_bars(
            chart_id="chart-open-actions", title="Open action items by team", desc=desc, bars=bars,
            parts=[charts.Bar(b.label, overdue[b.label], b.href, "overdue") for b in bars]))]
        return chart

    def _top(self, slug, title, note, items, *, kind) -> Chart:
        items = items[: queries.TOP_LIMIT]
        rows, bars = [], []
        for item in items:
            library = self.library(**{kind: item["slug"]})
            rows.append([_text(item["name"], library), _count(item["n"], self.drill(**{kind: item["slug"]}))])
            bars.append(charts.Bar(item["name"], item["n"], library, "accent"))
        columns = [kind.capitalize(), "Post-mortems"]
        chart = Chart(slug, title, note, columns, columns, rows, layout="half")
        if not rows:
            chart.empty = f"No post-mortem in this period has a {kind}."
        desc = "; ".join(f"{b.label}: {b.value:g}" for b in bars) or "None."
        chart.svgs = [(title, charts.horizontal_bars(chart_id=f"chart-{slug}", title=title, desc=desc, bars=bars))]
        return chart

    def chart_tags(self) -> Chart:
        return self._top("tags", "Tags with the most incidents",
                         "Bars open the library filtered by the tag; counts open the post-mortems of this period.",
                         self.tags, kind="tag")

    def chart_teams(self) -> Chart:
        return self._top("teams", "Teams with the most incidents",
                         "Bars open the library filtered by the team; counts open the post-mortems of this period.",
                         self.teams, kind="team")

    def chart_findings(self) -> Chart:
        spec = [(value, label, FINDING_KEYS[value]) for value, label in LanguageRule.Category.choices]
        return self._monthly(
            "findings", "Language findings per month, by category",
            "What the blameless-language coach flagged, by the month the text was last saved.",
            self.axis(self.findings), spec, self.findings,
            link=lambda m, key: self.drill(month=m, finding=key or "any"),
        )

    # Headline figures
    def facts(self) -> list[dict]:
        months = self.per_month.values()
        total = sum(f["total"] for f in months)
        published = sum(f[Status.PUBLISHED] for f in months)
        resolve = self.durations[1]["resolve"]
        open_totals = self.open_actions[1]
        action_totals = self.actions[1]
        closed = action_totals["done"] + action_totals["wont_do"]
        median_days = action_totals["days"].median
        return [
            {"label": "Post-mortems", "value": total, "href": self.drill()},
            {"label": "Published", "value": f"{round(100 * published / total)} %" if total else "—",
             "note": f"{published} of {total}", "href": self.drill(status=Status.PUBLISHED)},
            {"label": "Median time to resolve", "value": charts.format_duration(resolve.median),
             "note": f"n = {resolve.n}", "href": self.drill(measure="resolve")},
            {"label": "Action items open now", "value": open_totals["open"], "href": self.drill(action="open")},
            {"label": "Overdue now", "value": open_totals["overdue"], "href": self.drill(action="overdue"),
             "alert": bool(open_totals["overdue"])},
            {"label": "Median days to complete", "value": "—" if median_days is None else f"{median_days:.1f}",
             "note": f"n = {action_totals['days'].n}", "href": self.drill(action="done")},
            {"label": "Closed as won't do", "value": f"{round(100 * action_totals['wont_do'] / closed)} %"
             if closed else "—", "note": f"of {closed} closed", "href": self.drill(action="wont_do")},
        ]
