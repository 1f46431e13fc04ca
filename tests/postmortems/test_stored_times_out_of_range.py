"""Times stored out of range (before incident times were checked, or by a raw SQL edit) never take a page
down: 9999-12-31 23:59 UTC is in year 10000 in Auckland, 0001-01-01 00:00 UTC before year 1 in Los
Angeles. Such a time shows in UTC; the admin's date drill-down covers 1970 to a year ahead."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages

from knowledge.models import ReadingList, ReadingListItem
from postmortems import services
from postmortems.models import (
    ActionItem,
    DisplayZone,
    PostMortem,
    Profile,
    Revision,
    Status,
    Template,
    TimelineEvent,
    incident_time_bounds,
    incident_time_error,
)
from tests.postmortems.admin_support import PM_LIST
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

LATEST = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
EARLIEST = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
ZONES = ["Pacific/Auckland", "America/Los_Angeles"]  # ahead of UTC, behind it


def store(pm: PostMortem, value: datetime) -> None:
    """Write `value` as every incident time and timeline event of `pm`, past the model's checks."""
    PostMortem.objects.filter(pk=pm.pk).update(started_at=value, detected_at=value, mitigated_at=value,
                                               resolved_at=value)
    TimelineEvent.objects.filter(postmortem=pm).update(occurred_at=value)


@pytest.fixture
def odd(author, facilitator):
    """A published post-mortem and a draft of the facilitator's, both with times stored out of range later."""
    template = Template.objects.get(slug="lightweight")
    published = services.postmortem_create(user=author, template=template, title="Checkout timeouts",
                                           severity="sev2", started_at=datetime(2024, 3, 1, 14, tzinfo=UTC))
    published.sections.update(body="Written.")
    services.postmortem_submit_for_review(postmortem=published, user=author)
    services.postmortem_publish(postmortem=published, user=facilitator)
    draft = services.postmortem_create(user=facilitator, template=template, title="Checkout retries",
                                       severity="sev3", started_at=datetime(2024, 3, 2, 9, tzinfo=UTC))
    reading = ReadingList.objects.create(title="Start here", slug="start-here", created_by=facilitator)
    ReadingListItem.objects.create(reading_list=reading, postmortem=published, position=1)
    for pm in (published, draft):
        pm.tags.add("checkout")
        TimelineEvent.objects.create(postmortem=pm, occurred_at=datetime(2024, 3, 1, 14, 5, tzinfo=UTC),
                                     kind="detection", description="Checkout latency alert fired")
        ActionItem.objects.create(postmortem=pm, title="Alert on checkout latency", owner=facilitator)
    return published, draft


def signed_in(client, user, zone):
    Profile.objects.update_or_create(user=user, defaults={"time_zone": zone})
    client.force_login(user)
    return client


def pages(published, draft):
    return [
        "/", "/postmortems/", f"/postmortems/{published.slug}/", f"/postmortems/{draft.slug}/",
        f"/postmortems/{draft.slug}/edit/", f"/postmortems/{published.slug}/edit/",
        f"/postmortems/{published.slug}/history/", f"/postmortems/{draft.slug}/history/",
        f"/postmortems/{published.slug}/export.md", "/search/?q=checkout", "/action-items/", "/insights/",
        "/insights/?period=all", PM_LIST, f"{PM_LIST}{published.pk}/change/", f"{PM_LIST}{draft.pk}/change/",
        "/admin/postmortems/revision/", f"{PM_LIST}?started_at__year=2024", "/tags/checkout/",
        "/reading-lists/start-here/", "/coach/trends/", f"/similar/?title=Checkout+timeouts&exclude={draft.slug}",
        "/profile/",
    ]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("value", [LATEST, EARLIEST], ids=["9999-12-31", "0001-01-01"])
def test_no_page_fails_on_times_stored_out_of_range(client, odd, facilitator, zone, value):
    published, draft = odd
    for pm in odd:
        store(pm, value)
        # A revision that holds the odd times, so the history shows them as a change.
        services.postmortem_record_change(postmortem=PostMortem.objects.get(pk=pm.pk), user=facilitator)
    client = signed_in(client, facilitator, zone)
    client.raise_request_exception = False
    answers = {path: client.get(path).status_code for path in pages(published, draft)}
    assert {path: status for path, status in answers.items() if status >= 500} == {}
    assert set(answers.values()) == {200}, answers
    pasted = client.post(f"/postmortems/{draft.slug}/timeline/parse/", {"text": "00:30 Pager fired"})
    assert pasted.status_code == 200


@pytest.mark.parametrize("zone,value", [("Pacific/Auckland", LATEST), ("America/Los_Angeles", EARLIEST)])
def test_a_time_the_local_calendar_cannot_hold_shows_in_utc(client, odd, facilitator, zone, value):
    published, _ = odd
    store(published, value)
    html = signed_in(client, facilitator, zone).get(f"/postmortems/{published.slug}/").content.decode()
    assert f'datetime="{value.isoformat()}"' in html
    assert f"{value:%H:%M} UTC" in html


def test_times_in_range_still_show_in_the_readers_zone(client, odd, facilitator):
    published, _ = odd
    html = signed_in(client, facilitator, "Pacific/Auckland").get(f"/postmortems/{published.slug}/").content.decode()
    assert "2 Mar 2024, 03:00 NZDT" in html  # 14:00 UTC on 1 March


@pytest.mark.parametrize("zone,value", [("Pacific/Auckland", LATEST), ("America/Los_Angeles", EARLIEST)])
def test_saving_the_editor_as_it_shows_such_a_time_asks_for_another(client, odd, facilitator, zone, value):
    _, draft = odd
    store(draft, value)
    client = signed_in(client, facilitator, zone)
    shown = client.get(f"/postmortems/{draft.slug}/edit/").context["form"]["started_at"].value()
    draft.refresh_from_db()
    response = client.post(f"/postmortems/{draft.slug}/edit/",
                           editor_data(draft, started_at=shown.strftime("%Y-%m-%dT%H:%M"), summary="Kept."))
    assert response.status_code == 400  # refused: shown again with everything kept
    # Auckland gets the range's message; year 1 shows in a form a browser does not accept as a date.
    assert response.context["form"].errors["started_at"][0] in (
        incident_time_error(LATEST), "Enter a valid date/time.")
    assert "Kept." in response.content.decode()
    draft.refresh_from_db()
    assert draft.started_at == value


def test_the_display_zone_converts_like_zoneinfo_within_the_calendar():
    auckland, plain = DisplayZone("Pacific/Auckland"), zoneinfo.ZoneInfo("Pacific/Auckland")
    for value in (datetime(2024, 3, 1, 14, tzinfo=UTC), datetime(2024, 4, 6, 13, 30, tzinfo=UTC),  # DST ends
                  datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 10, 59, tzinfo=UTC)):
        shown = value.astimezone(auckland)
        assert (shown.replace(tzinfo=None), shown.utcoffset(), shown.fold) == (
            value.astimezone(plain).replace(tzinfo=None), value.astimezone(plain).utcoffset(),
            value.astimezone(plain).fold)
    assert str(auckland) == "Pacific/Auckland"
    assert LATEST.astimezone(auckland) == LATEST and LATEST.astimezone(auckland).tzinfo is UTC
    assert EARLIEST.astimezone(DisplayZone("America/Los_Angeles")).tzinfo is UTC


def test_the_servers_zone_shows_such_a_time_in_utc_too(client, odd, reader, settings):
    """A reader who chose no time zone reads in the server's (TIME_ZONE)."""
    settings.TIME_ZONE = "Pacific/Auckland"
    published, _ = odd
    store(published, LATEST)
    client.force_login(reader)
    for path in ("/postmortems/", f"/postmortems/{published.slug}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert 'datetime="9999-12-31T23:59:00+00:00"' in response.content.decode()


# ---- the admin's date drill-down -----------------------------------------------------------------


@pytest.fixture
def desk(client, odd, facilitator, make_postmortem):
    published, _ = odd
    store(published, LATEST)
    make_postmortem(title="Ancient", status=Status.PUBLISHED)
    PostMortem.objects.filter(title="Ancient").update(started_at=EARLIEST)
    return signed_in(client, facilitator, "Pacific/Auckland")


def test_the_drill_down_lists_the_years_in_range_and_the_list_keeps_every_row(desk):
    response = desk.get(PM_LIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    html = response.content.decode()
    assert "?started_at__year=2024" in html
    assert "started_at__year=9999" not in html and "started_at__year=10000" not in html
    assert "started_at__year=1&" not in html and 'started_at__year=1"' not in html


@pytest.mark.parametrize("query", ["started_at__year=9999", "started_at__year=10000", "started_at__year=1",
                                   "started_at__year=1969", "started_at__year=9999&started_at__month=12",
                                   "started_at__year=9999&started_at__month=12&started_at__day=31",
                                   "started_at__year=abc"])
def test_a_drill_down_link_to_a_year_out_of_range_answers_with_a_message(desk, query):
    response = desk.get(f"{PM_LIST}?status__exact=published&{query}")
    assert response.status_code == 302
    assert response["Location"] == f"{PM_LIST}?status__exact=published"
    [message] = get_messages(response.wsgi_request)
    last = incident_time_bounds()[1].astimezone(zoneinfo.ZoneInfo("Pacific/Auckland")).year
    assert str(message) == f"The dates go from 1970 to {last}: choose a year from those."
    assert desk.get(response["Location"]).status_code == 200


def test_the_drill_down_answers_for_the_years_it_lists(desk):
    assert desk.get(f"{PM_LIST}?started_at__year=2024").status_code == 200
    response = desk.get(f"{PM_LIST}?started_at__year=2024&started_at__month=3")
    assert response.status_code == 200
    assert [pm.title for pm in response.context["cl"].result_list] == ["Checkout retries"]


def test_a_hand_written_filter_converting_such_a_date_does_not_fail(desk):
    for query in ("started_at__date=2024-03-02", "started_at__month=3", "started_at__hour=22"):
        response = desk.get(f"{PM_LIST}?{query}", follow=True)
        assert response.status_code == 200, query


def test_the_revision_drill_down_is_bounded_too(desk, odd):
    Revision.objects.filter(postmortem=odd[0]).update(created_at=LATEST)
    response = desk.get("/admin/postmortems/revision/")
    assert response.status_code == 200
    assert desk.get("/admin/postmortems/revision/?created_at__year=9999").status_code == 302
