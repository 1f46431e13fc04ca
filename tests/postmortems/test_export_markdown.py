"""Markdown export: the file format, GET /postmortems/<slug>/export.md, and the export → import round trip."""

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from postmortems.interchange.exporter import postmortem_to_markdown
from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Section,
    Status,
    Team,
    Template,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db

DFDS = Path(__file__).resolve().parent.parent / "data" / "dfds"


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def rich(make_postmortem, author, other_author, facilitator, team):
    """A post-mortem with every kind of part, and text that is awkward to carry through Markdown."""
    web = Team.objects.create(name="Web Platform", slug="web-platform")
    pm = make_postmortem(
        title="Checkout | cache & <queue> outage", status=Status.PUBLISHED, authors=[author, other_author],
        summary="Checkout failed for **40 minutes**.\n\nSecond paragraph.", severity="sev2",
        started_at=at(2024, 3, 1, 14, 0), detected_at=at(2024, 3, 1, 14, 12, 30), mitigated_at=None,
        resolved_at=at(2024, 3, 2, 0, 45), facilitator=facilitator, published_at=at(2024, 3, 5, 9, 0),
        template=Template.objects.get(slug="standard"),
    )
    pm.teams.set([team, web])
    pm.tags.set(["cache", "checkout", "Customer impact"])
    Section.objects.create(postmortem=pm, position=0, heading="Summary", kind="summary", required=True,
                           body="What happened.\n\n### Details\n\n| a | b |\n| - | - |\n| 1 | 2 |")
    Section.objects.create(postmortem=pm, position=1, heading="Impact", kind="impact", required=True, body="")
    Section.objects.create(postmortem=pm, position=2, heading="Our own heading", body="![img](/media/x.png)")
    events = [
        (at(2024, 3, 1, 14, 5), "action", "Deploy | started & <b>bold</b>\nsecond line", ""),
        (at(2024, 3, 1, 14, 12, 30), "detection", "Alert fired", "https://grafana.example.com/d/1?a=1&b=(2)"),
        (at(2024, 3, 1, 14, 12, 30), "observation", "Same second, second event", ""),
        (at(2024, 3, 2, 0, 45), "resolution", "Resolved after midnight", ""),
    ]
    for when, kind, text, url in events:
        TimelineEvent.objects.create(postmortem=pm, occurred_at=when, kind=kind, description=text, evidence_url=url)
    for position, (slug, text) in enumerate([
        ("change", "The TTL change shipped without a canary."),
        ("detection", "No paging threshold.\nA second line, and a list:\n- one\n- two"),
        ("knowledge", "Words that suggest *capacity*: memory limits"),
    ]):
        ContributingFactor.objects.create(postmortem=pm, category=FactorCategory.objects.get(slug=slug),
                                          description=text, position=position)
    ActionItem.objects.create(postmortem=pm, title="Add a canary stage", status=ActionStatus.DONE,
                              completed_at=at(2024, 3, 3), priority="high", kind="prevent")
    ActionItem.objects.create(postmortem=pm, title="Page on *error* rate (soon)", owner=author,
                              due_date=date(2024, 4, 1), status=ActionStatus.IN_PROGRESS, priority="low",
                              kind="detect", tracker_url="https://tracker.example.com/T-1",
                              description="Threshold at 2%.\n\n- dashboards\n- runbook")
    ActionItem.objects.create(postmortem=pm, title="Drop the legacy cache", status=ActionStatus.WONT_DO,
                              wont_do_reason="Replaced by the new cache next quarter.", kind="repair")
    return pm


def test_file_layout(rich):
    text = postmortem_to_markdown(rich)
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta == {
        "title": "Checkout | cache & <queue> outage", "slug": rich.slug, "severity": "SEV2", "status": "published",
        "started": "2024-03-01T14:00:00+00:00", "detected": "2024-03-01T14:12:30+00:00", "mitigated": None,
        "resolved": "2024-03-02T00:45:00+00:00", "teams": ["payments", "web-platform"],
        "tags": ["Customer impact", "cache", "checkout"], "authors": ["arthur", "olga"], "restricted": False,
        "facilitator": "fiona", "template": "standard", "published_at": "2024-03-05T09:00:00+00:00",
    }
    body = text.split("---\n", 2)[2]
    assert body.startswith("\n# Checkout | cache & <queue> outage\n\nCheckout failed for **40 minutes**.")
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == ["## Summary", "## Impact", "## Our own heading", "## Timeline", "## Contributing factors",
                        "## Action items"]
    assert "| Time (UTC) | Kind | Event | Evidence |" in body
    assert ("| 2024-03-01 14:05 | action | Deploy &#124; started &amp; &lt;b&gt;bold&lt;/b&gt;<br>second line |  |"
            in body)
    assert "| 2024-03-01 14:12:30 | detection | Alert fired |" in body
    assert "- **Change**: The TTL change shipped without a canary." in body
    assert "- [x] **Add a canary stage** (status: done, priority: high, kind: prevent)" in body
    assert ("- [ ] **Page on \\*error\\* rate (soon)** (owner: @arthur, due: 2024-04-01, status: in progress, "
            "priority: low, kind: detect)\n  Tracker: https://tracker.example.com/T-1\n\n  Threshold at 2%.") in body
    assert "  Won't do: Replaced by the new cache next quarter." in body


def everything():
    """Every post-mortem as comparable plain data, keyed by slug."""
    data = {}
    for pm in PostMortem.objects.all():
        data[pm.slug] = {
            "fields": (pm.title, pm.summary, pm.severity, pm.status, pm.restricted, pm.started_at, pm.detected_at,
                       pm.mitigated_at, pm.resolved_at, pm.published_at, pm.facilitator_id, pm.template_id),
            "teams": sorted(t.slug for t in pm.teams.all()),
            "tags": sorted(pm.tags.names()),
            "authors": sorted(u.username for u in pm.authors.all()),
            "sections": [(s.heading, s.body, s.kind, s.required) for s in pm.sections.all()],
            "events": [(e.occurred_at, e.kind, e.description, e.evidence_url) for e in pm.timeline_events.all()],
            "factors": [(f.category.slug, f.description) for f in pm.factors.all()],
            "items": [
                (a.title, a.description, a.status, a.owner_id, a.due_date, a.priority, a.kind, a.tracker_url,
                 a.wont_do_reason)
                for a in pm.action_items.order_by("id")
            ],
        }
    return data


def round_trip(tmp_path):
    before = everything()
    call_command("export_markdown", str(tmp_path / "out"), "--restricted", stdout=StringIO())
    PostMortem.objects.all().delete()
    Team.objects.all().delete()
    from taggit.models import Tag

    Tag.objects.all().delete()
    call_command("import_markdown", str(tmp_path / "out"), stdout=StringIO(), stderr=StringIO())
    return before, everything()


def test_round_trip_gives_the_same_post_mortems(tmp_path, rich, make_postmortem, author):
    secret = make_postmortem(title="Security: token exposure", restricted=True, authors=[author],
                             status=Status.IN_REVIEW, started_at=at(2024, 2, 1, 8, 0))
    Section.objects.create(postmortem=secret, heading="Containment", body="Rotated the token.")
    make_postmortem(title="Bare draft, no times")
    before, after = round_trip(tmp_path)
    assert len(before) == 3
    for slug in before:
        for key in before[slug]:
            assert (slug, key, after[slug][key]) == (slug, key, before[slug][key])
    assert after == before


def test_round_trip_of_the_dfds_corpus(tmp_path):
    call_command("import_markdown", str(DFDS), "--status", "published", stdout=StringIO())
    before, after = round_trip(tmp_path)
    assert len(before) == 13
    assert after == before


def test_export_command_leaves_restricted_out_unless_asked(tmp_path, make_postmortem):
    make_postmortem(title="Open one")
    make_postmortem(title="Secret one", restricted=True)
    out = StringIO()
    call_command("export_markdown", str(tmp_path), stdout=out)
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["incident-1.md"]
    assert "Left out 1 restricted one(s)" in out.getvalue()


# GET /postmortems/<slug>/export.md

def test_download(client, reader, rich):
    client.force_login(reader)
    response = client.get(f"/postmortems/{rich.slug}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{rich.slug}.md"'
    assert response.content.decode() == postmortem_to_markdown(rich)


@pytest.mark.parametrize("role, draft, restricted_pm", [
    ("outsider", 404, 404), ("reader", 404, 404), ("other_author", 404, 404), ("author", 200, 200),
    ("facilitator", 200, 200),
])
def test_permission_matrix(client, request, make_postmortem, author, role, draft, restricted_pm):
    a_draft = make_postmortem(title="Draft", authors=[author])
    secret = make_postmortem(title="Secret", authors=[author], status=Status.PUBLISHED, restricted=True)
    published = make_postmortem(title="Published", status=Status.PUBLISHED)
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"/postmortems/{a_draft.slug}/export.md").status_code == draft
    assert client.get(f"/postmortems/{secret.slug}/export.md").status_code == restricted_pm
    assert client.get(f"/postmortems/{published.slug}/export.md").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, make_postmortem):
    pm = make_postmortem(status=Status.PUBLISHED)
    response = client.get(f"/postmortems/{pm.slug}/export.md")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_post_is_not_allowed(client, facilitator, make_postmortem):
    pm = make_postmortem(status=Status.PUBLISHED)
    client.force_login(facilitator)
    assert client.post(f"/postmortems/{pm.slug}/export.md").status_code == 405


def test_query_count_does_not_grow_with_the_parts(client, facilitator, rich, django_assert_max_num_queries):
    client.force_login(facilitator)
    with django_assert_max_num_queries(20):
        client.get(f"/postmortems/{rich.slug}/export.md")
