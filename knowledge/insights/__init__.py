"""Insights: charts of what the incidents teach, with the post-mortems behind every figure.

    periods.py  which post-mortems and local months a scope (reader, period, filters) covers
    queries.py  the aggregates, each a GROUP BY in the database, and the drill-down's query
    charts.py   SVG charts and tables, drawn on the server (no JavaScript)
    report.py   the page's charts for one scope (InsightsReport)
    forms.py    the filters and the drill-down's facets
    views.py    the page, its CSV downloads and the drill-down list
"""
