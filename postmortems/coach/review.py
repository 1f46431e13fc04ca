"""The coach's stored findings for people to read: the review panel and the trend page.

Django glue (read paths only). Who may dismiss a finding and where the dismiss form posts are
the views' business (postmortems/coach/views.py), not this module's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from postmortems.coach.checks import action_item_text, document_row_text
from postmortems.models import FindingDismissal, LanguageFinding, LanguageRule, PostMortem

EXCERPT_CONTEXT = 60


@dataclass
class ReviewItem:
    """A stored finding with its context, for display: before + <mark>match</mark> + after."""

    finding: object
    before: str
    match: str
    after: str
    dismissal: object = None


@dataclass
class ReviewGroup:
    location: str
    label: str
    open: list = field(default_factory=list)
    dismissed: list = field(default_factory=list)


def _labelled_texts(postmortem, document=None) -> list[tuple[str, str, str]]:
    """Return (location, label, text) for everything the coach reads, in reading order."""
    if document is not None:
        rows = [("title", "Title", document["title"]), ("summary", "Summary", document["summary"])]
        rows += [(f"section:{s['id']}", s["heading"], s["body"]) for s in document["sections"]]
        for event in document["timeline"]:
            when = timezone.localtime(datetime.fromisoformat(event["when"])).strftime("%d %b %H:%M")
            rows.append((f"timeline:{event['id']}", f"Timeline, {when}", event["description"]))
        rows += [(f"factor:{f['id']}", f"Contributing factor ({f['category']})", f["description"])
                 for f in document["factors"]]
        rows += [(f"action:{a['id']}", f"Action item “{a['title']}”", document_row_text(a))
                 for a in document["action_items"]]
        return rows
    rows = [("title", "Title", postmortem.title), ("summary", "Summary", postmortem.summary)]
    rows += [(f"section:{s.pk}", s.heading, s.body) for s in postmortem.sections.all()]
    for event in postmortem.timeline_events.all():
        when = timezone.localtime(event.occurred_at).strftime("%d %b %H:%M")
        rows.append((f"timeline:{event.pk}", f"Timeline, {when}", event.description))
    rows += [
        (f"factor:{f.pk}", f"Contributing factor ({f.category.name})", f.description)
        for f in postmortem.factors.select_related("category")
    ]
    rows += [(f"action:{a.pk}", f"Action item “{a.title}”", action_item_text(a)) for a in postmortem.action_items.all()]
    return rows


def _excerpt(text: str, start: int, end: int, phrase: str) -> tuple[str, str, str]:
    if text[start:end] != phrase:
        found = text.find(phrase)
        if found == -1:
            return "", phrase, ""
        start, end = found, found + len(phrase)
    before = text[max(0, start - EXCERPT_CONTEXT):start]
    after = text[end:end + EXCERPT_CONTEXT]
    if start > EXCERPT_CONTEXT:
        before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
    if end + EXCERPT_CONTEXT < len(text):
        after = after.rsplit(" ", 1)[0] + "…" if " " in after else after + "…"
    return before, text[start:end], after




def review_groups(postmortem, *, document=None) -> dict:
    """Return the findings grouped by text, open and dismissed, for includes/_coach_findings.html.

    Keys: postmortem, groups (ReviewGroup list, in reading order), open_count, dismissed_count.
    `document` labels the texts of a pending amendment. A constant number of queries, whatever
    the number of findings.
    """
    dismissals = {
        (d.rule_slug, d.location, d.text): d
        for d in FindingDismissal.objects.filter(postmortem=postmortem).select_related("user")
    }
    by_location = defaultdict(list)
    for row in LanguageFinding.objects.filter(postmortem=postmortem).order_by("location", "start", "pk"):
        by_location[row.location].append(row)
    groups = []
    if by_location:
        for location, label, text in _labelled_texts(postmortem, document):
            rows = by_location.pop(location, None)
            if rows:
                groups.append(_review_group(location, label, text, rows, dismissals))
        for location, rows in by_location.items():  # texts removed since the last refresh
            groups.append(_review_group(location, location, "", rows, dismissals))
    return {
        "postmortem": postmortem,
        "groups": groups,
        "open_count": sum(len(g.open) for g in groups),
        "dismissed_count": sum(len(g.dismissed) for g in groups),
    }


def _review_group(location, label, text, rows, dismissals) -> ReviewGroup:
    group = ReviewGroup(location=location, label=label)
    for row in rows:
        before, match, after = _excerpt(text, row.start, row.end, row.text)
        dismissal = dismissals.get((row.rule_slug, row.location, row.text))
        item = ReviewItem(finding=row, before=before, match=match, after=after, dismissal=dismissal)
        (group.dismissed if dismissal else group.open).append(item)
    return group



def finding_trends(user, *, team=None, month=None, category: str = "", limit: int = 100) -> dict:
    """Return findings across the post-mortems `user` may see, counted by month and category.

    A finding's month is when its phrasing first appeared (its created_at). `team` narrows to one
    team's post-mortems; `month` (a date in that month) and `category` select the findings to list
    (at most `limit`, newest first). A constant number of queries.
    """
    visible = PostMortem.objects.visible_to(user)
    if team is not None:
        visible = visible.filter(teams=team)
    findings = LanguageFinding.objects.filter(postmortem__in=visible.values("pk"))
    cells = (
        findings.with_dismissed().annotate(month=TruncMonth("created_at"))
        .values("month", "category")
        .annotate(total=Count("pk"), dismissed=Count("pk", filter=Q(is_dismissed=True)))
        .order_by("-month", "category")
    )
    months = (
        findings.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Count("pk"), postmortems=Count("postmortem", distinct=True))
        .order_by("-month")
    )
    categories = list(LanguageRule.Category.choices)
    table = []
    by_month = defaultdict(dict)
    for cell in cells:
        by_month[cell["month"]][cell["category"]] = cell
    for row in months:
        counts = by_month.get(row["month"], {})
        table.append(
            {
                "month": row["month"],
                "total": row["total"],
                "postmortems": row["postmortems"],
                "cells": [(value, counts.get(value, {"total": 0, "dismissed": 0})) for value, _ in categories],
            }
        )
    top_rules = list(findings.values("rule_slug").annotate(total=Count("pk")).order_by("-total", "rule_slug")[:10])
    listed = []
    if month is not None or category:
        selected = findings.with_dismissed().select_related("postmortem")
        if month is not None:
            start = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            end = (start + timedelta(days=32)).replace(day=1)
            selected = selected.filter(created_at__gte=start, created_at__lt=end)
        if category:
            selected = selected.filter(category=category)
        listed = list(selected.order_by("-created_at", "pk")[:limit])
    return {
        "table": table,
        "categories": categories,
        "top_rules": top_rules,
        "listed": listed,
        "total": sum(row["total"] for row in table),
    }
