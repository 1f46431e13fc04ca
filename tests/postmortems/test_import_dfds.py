"""Importing the thirteen real DFDS post-mortems (MIT, tests/data/dfds/LICENSE)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    PostMortem,
    Revision,
    Section,
    Status,
    TimelineEvent,
)

DFDS = Path(__file__).resolve().parent.parent / "data" / "dfds"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_markdown", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def imported(db):
    run(str(DFDS), "--status", "published")
    return {Path(pm.source_path).name: pm for pm in PostMortem.objects.all()}


def snapshot_all():
    return sorted(
        (
            pm.slug, pm.title, pm.summary, pm.version, pm.started_at, pm.detected_at, pm.mitigated_at,
            pm.resolved_at, sorted(pm.tags.names()),
            [(s.heading, s.body) for s in pm.sections.all()],
            [(e.occurred_at, e.kind, e.description) for e in pm.timeline_events.all()],
            [(f.category.slug, f.description) for f in pm.factors.all()],
            [(a.pk, a.title, a.status, a.description) for a in pm.action_items.order_by("id")],
        )
        for pm in PostMortem.objects.all()
    )


def test_the_corpus_and_its_licence_are_here():
    assert len(list(DFDS.glob("*.md"))) == 13
    assert "MIT License" in (DFDS / "LICENSE").read_text()


def test_every_file_imports(imported):
    assert len(imported) == 13
    assert all(pm.status == Status.PUBLISHED and not pm.restricted for pm in imported.values())
    assert all(pm.timeline_events.exists() for pm in imported.values())
    assert all(pm.action_items.exists() for pm in imported.values())
    assert all(pm.sections.filter(heading="Summary").exists() for pm in imported.values())
    # every import is a recorded change, so the search index and history saw it
    assert Revision.objects.filter(action="imported").count() == 13


def test_adfs_outage(imported):
    pm = imported["pm2021-004-adfs-outage.md"]
    assert pm.title == "ADFS Outage"
    assert pm.slug == "adfs-outage"
    assert [s.heading for s in pm.sections.all()] == ["Summary", "Lessons Learned", "Atendees", "Stats"]
    assert pm.sections.get(heading="Atendees").body == "- RF, PW, RR, AN, EC"
    assert pm.summary.startswith("On Wednesday 31st March, the token signing")
    events = list(pm.timeline_events.all())
    assert len(events) == 8
    assert (events[0].occurred_at, events[0].description) == (
        utc(2021, 3, 31, 12, 6), "Token-decrypting and token-signing certificates applied to ADFS expire")
    assert (events[1].occurred_at, events[1].kind) == (utc(2021, 3, 31, 12, 11), "detection")
    assert events[-1].occurred_at == utc(2021, 3, 31, 13, 30)
    assert [(f.category.slug, f.description) for f in pm.factors.all()] == [
        ("dependency", "We depend on datacenters team to manage ADFS"),
        ("detection", "No monitoring or record of certificate expiry"),
        ("design", "Auto renewal feature not configured in ADFS"),
        ("dependency", "Dependency on ADFS for SSO"),
    ]
    assert [a.title for a in pm.action_items.order_by("id")] == [
        "Implement monitoring of ADFS (particularly certificate expiry via script or even calendar)",
        "Identify a clear path for migration away from ADFS to alternative solution",
        "Ask datacenters to apply monitoring and follow up",
    ]
    # "Time to detection: 5 minutes", "Time to recovery: 84 minutes"
    assert pm.started_at == utc(2021, 3, 31, 12, 6)
    assert pm.detected_at == utc(2021, 3, 31, 12, 11)
    assert pm.resolved_at == utc(2021, 3, 31, 13, 30)
    assert list(pm.tags.names()) == ["authentication/authorisation"]


def test_ip_starvation_times_in_cet_and_an_unreadable_row(imported):
    pm = imported["pm2019-009-kubernetes-network-infrastructure-ip-starvation.md"]
    assert pm.title == "Kubernetes network infrastructure IP starvation"
    assert [s.heading for s in pm.sections.all()] == ["Summary", "Timeline", "Lessons Learned"]
    events = list(pm.timeline_events.all())
    assert len(events) == 13
    # "Date and Time in CET": 12:00 CET is 11:00 UTC
    assert events[0].occurred_at == utc(2019, 11, 29, 11, 0)
    assert events[0].description.startswith("Proactively scaling up Hellman Kubernetes cluster from 7 to 10 nodes")
    assert events[1].kind == "detection"  # "Automated warning from AWS …"
    # "2019-12-03 --:--" has no time of day: it stays as text, under its table header
    timeline_text = pm.sections.get(heading="Timeline").body
    assert timeline_text.splitlines()[0].startswith("| Date and Time in CET")
    assert "2019-12-03 --:--" in timeline_text
    assert "2019-11-29 12:00" not in timeline_text
    assert pm.factors.count() == 7
    assert pm.factors.first().description.startswith("No monitoring of network subnet capacity")
    assert pm.factors.first().category.slug == "detection"
    items = list(pm.action_items.order_by("id"))
    assert [a.title for a in items] == [
        "Make sure all deployed resources have a plan for monitoring / scaling",
        "Separate Kubernetes node autoscaling groups per AWS availability zone",
        "Implement priority-classes for critical workloads",
        "Consider separate prioritization of SRE tasks",
    ]
    assert items[0].description.startswith("This is a work in progress and we will start revising")
    assert all(a.status == ActionStatus.OPEN for a in items)


def test_total_node_failure_done_marker_and_stats(imported):
    pm = imported["pm2023-001-total-node-failure.md"]
    assert pm.title == "Total node failure"
    assert [s.heading for s in pm.sections.all()] == ["Summary", "Lessons Learned", "Attendees", "Stats"]
    events = list(pm.timeline_events.all())
    assert len(events) == 16
    assert events[0].occurred_at == utc(2023, 2, 13, 7, 30)
    assert [e.description for e in events if e.occurred_at == utc(2023, 2, 14, 10, 48)] == ["We have no nodes"]
    assert [f.description for f in pm.factors.all()] == [
        "QA config differs from prod, missing staging environment",
        "QA test suite doesn't cover fluentd log collection",
        "Rollover process has no documentation in place for what happens if it goes bad",
        "During the attempt to revert the container-runtime, the value was thought to be dockershim, "
        "but was instead dockerd",
    ]
    items = list(pm.action_items.order_by("id"))
    assert len(items) == 6
    assert items[-1].title == "Implement guards against invalid container runtime selection"
    assert items[-1].status == ActionStatus.DONE and items[-1].completed_at is not None
    assert {a.status for a in items[:-1]} == {ActionStatus.OPEN}
    assert pm.detected_at - pm.started_at == (utc(2000, 1, 1, 0, 2) - utc(2000, 1, 1))
    assert pm.resolved_at - pm.started_at == (utc(2000, 1, 1, 0, 13) - utc(2000, 1, 1))


def test_bad_ami_nested_action_items_and_factors(imported):
    pm = imported["pm2022-009-bad-aws-eks-ami-causing-kubernetes-issues.md"]
    assert pm.title == "Bad AWS EKS AMI"
    assert pm.timeline_events.count() == 20
    assert pm.factors.count() == 8
    factors = {f.description: f.category.slug for f in pm.factors.all()}
    assert factors["Alerting not catching NodeNotReady/Sockets"] == "detection"
    assert factors["Lack of deeper understanding of Kubernetes components in the team"] == "knowledge"
    items = list(pm.action_items.order_by("id"))
    assert len(items) == 7
    assert items[0].title == "Improve coverage of readiness/liveness probes"
    assert items[0].description == (
        "- Reach out to teams with suggestions about readiness/liveness probes\n"
        "- Create dashboard  for readiness/liveness probe coverage\n"
        "- Create wiki article covering readiness/liveness probes and their usefulness"
    )
    # stats give 7 hours to detection; the timeline's mitigation (after the stated resolution) is not used
    assert pm.detected_at == utc(2022, 10, 29, 8, 2)
    assert pm.mitigated_at is None


def test_node_deletion_reference_links_are_inlined_and_prose_kept(imported):
    pm = imported["pm2019-010-hellman-kubernetes-cluster-node-deletion.md"]
    assert [s.heading for s in pm.sections.all()] == ["Summary", "Contributing Factors", "Lessons Learned"]
    prose = pm.sections.get(heading="Contributing Factors").body
    assert prose.startswith("While we consider the lack of **Least-privilege in Hellman Kubernetes cluster**")
    first = pm.factors.first()
    assert first.description.startswith("IP address starvation in Hellman network infrastructure")
    assert "[PM2019-009](PM2019-009%20-%20Kubernetes%20network%20infrastructure%20IP%20starvation.md)" in (
        first.description)
    assert first.category.slug == "capacity"
    assert pm.timeline_events.count() == 6
    assert pm.timeline_events.first().occurred_at == utc(2019, 12, 3, 23, 30)  # 00:30 CET


def test_log4shell_date_only_rows_and_subheadings(imported):
    pm = imported["pm2021-011-log4shell.md"]
    assert pm.title == "Log4Shell investigations"
    assert pm.timeline_events.count() == 23
    assert pm.factors.count() == 0
    assert pm.action_items.count() == 6
    timeline_text = pm.sections.get(heading="Timeline").body
    assert "| 2021-12-10         | The Log4Shell vulnerability was published" in timeline_text
    assert "### Reflections on external collaboration" in pm.sections.get(heading="Lessons Learned").body
    assert pm.timeline_events.filter(description__contains="S&O").exists()  # &amp; read as &


def test_second_import_changes_nothing(imported):
    before = snapshot_all()
    counts = [m.objects.count() for m in (Section, TimelineEvent, ContributingFactor, ActionItem, Revision)]
    out = run(str(DFDS))
    assert out.count("skipped (unchanged)") == 13
    assert "13 skipped" in out
    assert snapshot_all() == before
    assert [m.objects.count() for m in (Section, TimelineEvent, ContributingFactor, ActionItem, Revision)] == counts
