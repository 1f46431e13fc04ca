"""POST /postmortems/<slug>/timeline/parse/: the editor's paste box (parses, saves nothing)."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from postmortems.models import Profile, Status, TimelineEvent
from tests.factories import PASSWORD

TEXT = "14:05 Pager fired\n14:20 rolled back\nnot a timeline line"


@pytest.fixture
def draft(make_postmortem, author):
    return make_postmortem(title="Checkout outage", authors=[author],
                           started_at=datetime(2024, 3, 1, 13, 50, tzinfo=UTC))


@pytest.fixture
def published(make_postmortem, author):
    return make_postmortem(title="Published outage", authors=[author], status=Status.PUBLISHED,
                           started_at=datetime(2024, 3, 1, 13, 50, tzinfo=UTC))


def url(pm):
    return f"/postmortems/{pm.slug}/timeline/parse/"


def test_author_gets_parsed_events_and_unparsed_lines(client, author, draft):
    client.force_login(author)
    response = client.post(url(draft), {"text": TEXT})
    assert response.status_code == 200
    data = response.json()
    assert data == {
        "events": [
            {"occurred_at": "2024-03-01T14:05:00+00:00", "occurred_at_local": "2024-03-01T14:05",
             "kind": "detection", "description": "Pager fired", "evidence_url": ""},
            {"occurred_at": "2024-03-01T14:20:00+00:00", "occurred_at_local": "2024-03-01T14:20",
             "kind": "mitigation", "description": "rolled back", "evidence_url": ""},
        ],
        "unparsed": ["not a timeline line"],
    }
    assert TimelineEvent.objects.count() == 0  # parsing saves nothing


def test_times_are_read_and_shown_in_the_users_time_zone(client, author, draft):
    Profile.for_user(author)
    Profile.objects.filter(user=author).update(time_zone="America/New_York")
    client.force_login(author)
    # 13:50 UTC is 08:50 in New York (EST, UTC-5), so time-only lines take 2024-03-01 in New York.
    data = client.post(url(draft), {"text": "09:05 Pager fired\n2024-03-01 16:00 UTC resolved"}).json()
    assert [e["occurred_at"] for e in data["events"]] == ["2024-03-01T14:05:00+00:00", "2024-03-01T16:00:00+00:00"]
    assert [e["occurred_at_local"] for e in data["events"]] == ["2024-03-01T09:05", "2024-03-01T11:00"]


def test_json_body_is_accepted(client, author, draft):
    client.force_login(author)
    response = client.post(url(draft), {"text": "14:05 Pager fired"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["events"][0]["description"] == "Pager fired"


def test_facilitator_may_parse_on_any_post_mortem(client, facilitator, draft):
    client.force_login(facilitator)
    assert client.post(url(draft), {"text": TEXT}).status_code == 200


@pytest.mark.parametrize("role, expected", [
    ("outsider", 404), ("reader", 404), ("other_author", 404), ("author", 200), ("facilitator", 200),
])
def test_permission_matrix_on_a_draft(client, request, draft, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.post(url(draft), {"text": TEXT}).status_code == expected


@pytest.mark.parametrize("role, expected", [
    ("outsider", 403), ("reader", 403), ("other_author", 403), ("author", 200), ("facilitator", 200),
])
def test_permission_matrix_on_a_published_post_mortem(client, request, published, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.post(url(published), {"text": TEXT}).status_code == expected


def test_anonymous_is_sent_to_sign_in(client, draft):
    response = client.post(url(draft), {"text": TEXT})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_post_mortem_is_404(client, author):
    client.force_login(author)
    assert client.post("/postmortems/no-such-thing/timeline/parse/", {"text": TEXT}).status_code == 404


def test_get_is_not_allowed(client, author, draft):
    client.force_login(author)
    assert client.get(url(draft)).status_code == 405


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_a_clear_400(client, author, draft, text):
    client.force_login(author)
    response = client.post(url(draft), {"text": text})
    assert response.status_code == 400
    assert "Paste some timeline lines" in response.json()["error"]


def test_missing_text_field_is_a_400(client, author, draft):
    client.force_login(author)
    assert client.post(url(draft), {}).status_code == 400


def test_malformed_json_is_a_400(client, author, draft):
    client.force_login(author)
    response = client.post(url(draft), "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("text", ["14:05 x\n" * 2_500, "14:05 " + "x" * 150_000])
def test_huge_paste_is_a_clear_400(client, author, draft, text):
    client.force_login(author)
    response = client.post(url(draft), {"text": text})
    assert response.status_code == 400
    assert "too much to paste" in response.json()["error"]


def test_csrf_token_is_required(author, draft):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=author.username, password=PASSWORD)
    assert client.post(url(draft), {"text": TEXT}).status_code == 403
    token = "k" * 32
    client.cookies["csrftoken"] = token
    response = client.post(url(draft), {"text": TEXT, "csrfmiddlewaretoken": token})
    assert response.status_code == 200


SLACK_COPY = (
    "Friday, March 1st\n"
    "Priya Shah  2:02 PM\n"
    "checkout is throwing 500s\n"
    "second line of the same message (edited)\n"
    ":eyes: 1\n"
    "3 replies\n"
    "Ken Abara  2:05 PM\n"
    "rolled back, Priya can you post the status page?\n"
    "2:06\n"
    "status page posted\n"
)


def test_slack_copy_format_is_read_with_speakers_as_placeholders(client, author, draft):
    client.force_login(author)
    data = client.post(url(draft), {"text": SLACK_COPY}).json()
    assert [e["occurred_at"] for e in data["events"]] == [
        "2024-03-01T14:02:00+00:00", "2024-03-01T14:05:00+00:00", "2024-03-01T14:06:00+00:00"]
    assert data["events"][0]["description"] == (
        "Responder A: checkout is throwing 500s\nsecond line of the same message")
    assert data["events"][1]["description"] == "Responder B: rolled back, Responder A can you post the status page?"
    assert data["events"][2]["description"] == "Responder B: status page posted"
    assert data["speakers"] == [{"placeholder": "Responder A", "name": "Priya Shah"},
                                {"placeholder": "Responder B", "name": "Ken Abara"}]
    assert data["unparsed"] == []
    assert "Priya" not in " ".join(e["description"] for e in data["events"])
