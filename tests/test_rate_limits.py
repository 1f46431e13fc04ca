"""The endpoints the editor calls as people type answer 429 with Retry-After past their per-user limit."""

import json
from datetime import UTC, datetime

import pytest
from django.db.models import F
from django.test import Client

from postmortems import services
from postmortems.models import RateCounter, Template

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(settings):
    settings.RATE_LIMITS = {"preview": 3, "coach": 3, "timeline_paste": 3}


@pytest.fixture
def draft(author):
    return services.postmortem_create(user=author, template=Template.objects.get(slug="lightweight"),
                                      title="Checkout latency", severity="sev2",
                                      started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC))


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def preview(client):
    return client.post("/markdownx/markdownify/", {"content": "**bold**"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def coach(client):
    payload = {"texts": [{"location": "summary", "kind": "summary", "text": "The cache emptied."}]}
    return client.post("/coach/check/", json.dumps(payload), content_type="application/json",
                       HTTP_ACCEPT="application/json")


def paste(client, draft):
    return client.post(f"/postmortems/{draft.slug}/timeline/parse/", {"text": "14:05 Alert fired"},
                       HTTP_ACCEPT="application/json")


def assert_paused(response, words):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert words in response.content.decode()


def test_the_preview_pauses_past_its_limit_with_a_message_for_the_preview_pane(low_limits, author):
    client = signed_in(author)
    for _ in range(3):
        assert preview(client).status_code == 200
    response = preview(client)
    assert_paused(response, "The preview is paused for")
    assert response["Content-Type"].startswith("text/html")
    assert '<p class="preview-paused" role="status">' in response.content.decode()


def test_the_coach_check_pauses_past_its_limit_with_a_json_error(low_limits, reader):
    client = signed_in(reader)
    for _ in range(3):
        assert coach(client).status_code == 200
    response = coach(client)
    assert_paused(response, "The coach checks at most 3 times a minute")
    assert "error" in response.json()


def test_the_timeline_paste_pauses_past_its_limit_with_a_json_error(low_limits, author, draft):
    client = signed_in(author)
    for _ in range(3):
        assert paste(client, draft).status_code == 200
    response = paste(client, draft)
    assert_paused(response, "Timelines are read at most 3 times a minute")
    assert "error" in response.json()


def test_each_user_and_each_endpoint_has_its_own_count(low_limits, author, reader):
    mine = signed_in(author)
    for _ in range(4):
        preview(mine)
    assert preview(mine).status_code == 429
    assert coach(mine).status_code == 200
    assert preview(signed_in(reader)).status_code == 200


def test_the_count_starts_again_when_the_window_has_passed(low_limits, author):
    client = signed_in(author)
    for _ in range(4):
        preview(client)
    assert preview(client).status_code == 429
    RateCounter.objects.update(window_ends=F("window_ends") - 60)  # as the clock will
    assert preview(client).status_code == 200
    assert preview(client).status_code == 200
    assert RateCounter.objects.get().hits == 2


def test_the_default_limits_leave_room_for_a_fast_typist(author):
    client = signed_in(author)
    for _ in range(100):  # markdownx previews at most twice a second while typing in one field
        assert preview(client).status_code == 200
