import pytest
from django.utils import timezone

from knowledge.search import index_postmortem
from postmortems.models import ActionItem, ContributingFactor, FactorCategory, Section, Status, TimelineEvent


@pytest.fixture
def write_up(make_postmortem):
    """Return a function that makes a post-mortem with text in every indexed part, and indexes it."""

    def make(*, title="Incident", summary="", body="", event="", factor="", category=None, action="",
             tags=(), teams=(), status=Status.PUBLISHED, **fields):
        if status == Status.PUBLISHED:
            fields.setdefault("published_at", timezone.now())
        fields.setdefault("started_at", timezone.now())
        pm = make_postmortem(title=title, summary=summary, status=status, **fields)
        if body:
            Section.objects.create(postmortem=pm, heading="What happened", body=body)
        if event:
            TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(), description=event)
        if factor or category:
            category = category or FactorCategory.objects.order_by("position").first()
            ContributingFactor.objects.create(postmortem=pm, category=category, description=factor or "factor")
        if action:
            ActionItem.objects.create(postmortem=pm, title=action)
        if tags:
            pm.tags.add(*tags)
        if teams:
            pm.teams.add(*teams)
        index_postmortem(pm)
        return pm

    return make
