"""Incident times and timeline events fall between 1 January 1970 and a year from now, on every way in:
the model, the pages' forms, the admin and the Markdown import."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from postmortems import services
from postmortems.interchange.importer import Options, import_paths
from postmortems.interchange.timeline import parse_timeline
from postmortems.models import PostMortem, Template, TimelineEvent, incident_time_bounds
from tests.postmortems.admin_support import PM_LIST, form_data
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

MESSAGE = "Choose a time from 1 January 1970 to"
TOO_EARLY = ["0001-01-01T00:00", "1066-10-14T09:00", "1969-12-31T23:59"]
TOO_LATE = ["9999-12-31T23:59", (timezone.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")]


@pytest.fixture
def pm(author):
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Checkout timeouts", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


# ---- the model --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["started_at", "detected_at", "mitigated_at", "resolved_at"])
@pytest.mark.parametrize("value", [datetime(1, 1, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
                                   datetime(9999, 12, 31, tzinfo=UTC)])
def test_model_validation_refuses_incident_times_out_of_range(pm, field, value):
    setattr(pm, field, value)
    with pytest.raises(ValidationError) as caught:
        pm.full_clean()
    assert MESSAGE in caught.value.message_dict[field][0]


def test_model_validation_takes_the_bounds_themselves(pm):
    earliest, latest = incident_time_bounds()
    pm.started_at, pm.resolved_at = earliest, latest - timedelta(minutes=1)
    pm.full_clean()
    pm.resolved_at = latest + timedelta(minutes=1)
    with pytest.raises(ValidationError):
        pm.full_clean()


def test_model_validation_bounds_timeline_events(pm):
    event = TimelineEvent(postmortem=pm, occurred_at=datetime(1, 1, 1, tzinfo=UTC), description="Pager fired")
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert MESSAGE in caught.value.message_dict["occurred_at"][0]
    event.occurred_at = datetime(2024, 3, 1, 14, 5, tzinfo=UTC)
    event.full_clean()


# ---- the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", TOO_EARLY + TOO_LATE)
def test_a_new_post_mortem_refuses_a_start_out_of_range_and_keeps_the_input(client, author, value):
    client.force_login(author)
    template = Template.objects.get(slug="standard")
    response = client.post("/postmortems/new/", {"template": template.pk, "title": "Odd dates", "severity": "sev3",
                                                 "started_at": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert MESSAGE in html and 'value="Odd dates"' in html
    assert not PostMortem.objects.filter(title="Odd dates").exists()


@pytest.mark.parametrize("field", ["started_at", "detected_at", "mitigated_at", "resolved_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_editor_refuses_incident_times_out_of_range(client, author, pm, field, value):
    client.force_login(author)
    version = pm.version
    response = client.post(f"/postmortems/{pm.slug}/edit/",
                           editor_data(pm, summary="Kept while the date is wrong.", **{field: value}))
    assert response.status_code == 400  # refused: shown again with everything kept
    form = response.context["form"]
    assert MESSAGE in form.errors[field][0]
    assert "Kept while the date is wrong." in response.content.decode()
    pm.refresh_from_db()
    assert pm.version == version and pm.summary == ""


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_editor_refuses_a_timeline_event_out_of_range(client, author, pm, value):
    client.force_login(author)
    data = editor_data(pm, **{"events-TOTAL_FORMS": 1, "events-0-occurred_at": value, "events-0-kind": "detection",
                              "events-0-description": "Pager fired"})
    response = client.post(f"/postmortems/{pm.slug}/edit/", data)
    assert response.status_code == 400  # refused: shown again with everything kept
    assert MESSAGE in response.context["events"].forms[0].errors["occurred_at"][0]
    assert not pm.timeline_events.exists()


def test_a_user_far_from_utc_gets_the_message_not_an_error(client, author, pm):
    """0001-01-01 00:00 in a zone ahead of UTC is before year 1 in UTC; 9999-12-31 23:59 behind it, after 9999."""
    client.force_login(author)
    for zone, value in (("Pacific/Kiritimati", "0001-01-01T00:00"), ("Pacific/Pago_Pago", "9999-12-31T23:59")):
        from postmortems.models import Profile

        Profile.objects.update_or_create(user=author, defaults={"time_zone": zone})
        response = client.post(f"/postmortems/{pm.slug}/edit/", editor_data(pm, started_at=value))
        assert response.status_code == 400  # refused: shown again with everything kept
        assert MESSAGE in response.context["form"].errors["started_at"][0]


# ---- the admin ----------------------------------------------------------------------------------


def test_the_admin_refuses_incident_times_out_of_range(client, facilitator, pm):
    client.force_login(facilitator)
    data = form_data(client.get(f"{PM_LIST}{pm.pk}/change/"), "postmortem_form")
    data["started_at_0"], data["started_at_1"] = ["0001-01-01"], ["00:00"]
    response = client.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert PostMortem.objects.get(pk=pm.pk).started_at.year == 2024


def test_the_admin_refuses_a_timeline_event_out_of_range(client, facilitator, pm):
    client.force_login(facilitator)
    data = form_data(client.get(f"{PM_LIST}{pm.pk}/change/"), "postmortem_form")
    data.update({"timeline_events-TOTAL_FORMS": ["1"], "timeline_events-0-occurred_at_0": ["9999-12-31"],
                 "timeline_events-0-occurred_at_1": ["12:00"], "timeline_events-0-kind": ["detection"],
                 "timeline_events-0-description": ["Pager fired"]})
    response = client.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not pm.timeline_events.exists()


# ---- the Markdown import ------------------------------------------------------------------------


def options(**extra):
    return Options(template=Template.objects.get(slug="standard"), **extra)


@pytest.mark.parametrize("front,expected", [
    ("started: 0001-01-01", "the incident start 0001-01-01 00:00 is out of range"),
    ("date: 1066-10-14", "the incident start 1066-10-14 00:00 is out of range"),
    ("started: 2024-03-01 10:00\nresolved: 9999-12-31 10:00", "the resolved time 9999-12-31 10:00 is out of range"),
])
def test_a_file_with_an_incident_time_out_of_range_is_not_imported_and_says_why(tmp_path, front, expected):
    bad = tmp_path / "bad.md"
    bad.write_text(f"---\n{front}\n---\n# Odd dates\n\nText.\n")
    good = tmp_path / "good.md"
    good.write_text("---\nstarted: 2024-03-01 10:00\n---\n# Fine dates\n\nText.\n")
    reports = {r.path: r for r in import_paths([tmp_path], options=options())}
    report = reports[str(bad)]
    assert report.outcome == "failed"
    assert expected in report.reason and "choose a time from 1 January 1970" in report.reason
    assert reports[str(good)].outcome == "imported"  # the rest of the batch goes on
    assert list(PostMortem.objects.values_list("title", flat=True)) == ["Fine dates"]


def test_a_file_with_a_timeline_event_out_of_range_is_not_imported(tmp_path):
    path = tmp_path / "events.md"
    path.write_text("# Odd events\n\n## Timeline\n\n- 2024-03-01 10:00 Alert fired\n- 9999-12-30 10:00 Typo year\n"
                    "- 9999-12-30 11:00 Another\n")
    [report] = import_paths([path], options=options())
    assert report.outcome == "failed"
    assert "the timeline event at 9999-12-30 10:00 (and 1 more) is out of range" in report.reason
    assert not PostMortem.objects.exists()


def test_a_dry_run_reports_the_same(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\nstarted: 0001-01-01\n---\n# Odd dates\n")
    [report] = import_paths([path], options=options(dry_run=True))
    assert report.outcome == "failed" and "out of range" in report.reason


def test_the_import_command_prints_the_reason(tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.md"
    path.write_text("---\nstarted: 0001-01-01\n---\n# Odd dates\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_markdown", str(path), stdout=out, stderr=err)
    assert "the incident start 0001-01-01 00:00 is out of range" in out.getvalue() + err.getvalue()


def test_a_duration_past_year_9999_is_reported_not_raised(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("---\nstarted: 9999-12-31 10:00\n---\n# Long one\n\n## Stats\n\n- Time to resolution: 5 days\n")
    [report] = import_paths([path], options=options())
    assert report.outcome == "failed" and "out of range" in report.reason


# ---- the timeline parser at the edges of the calendar -------------------------------------------


def test_times_utc_cannot_hold_are_left_as_text_not_raised():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    result = parse_timeline("0001-01-01 00:10 Deploy\n9999-12-31 23:50 Late\n00:30 After midnight",
                            default_date=None, tz=berlin)
    assert [e.description for e in result.events] == ["Late"]
    assert "0001-01-01 00:10 Deploy" in result.unparsed_lines
    assert "00:30 After midnight" in result.unparsed_lines


def test_pasting_such_times_in_the_editor_answers(client, author, pm):
    client.force_login(author)
    response = client.post(f"/postmortems/{pm.slug}/timeline/parse/",
                           {"text": "0001-01-01 00:10 +0100 Deploy\n9999-12-31 23:59 -0500 Late\n"})
    assert response.status_code == 200
    assert len(response.json()["unparsed"]) == 2
