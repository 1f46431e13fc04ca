"""POST /postmortems/<slug>/timeline/upload/: a Slack export or PagerDuty log entries, previewed as events."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from postmortems.models import Status, TimelineEvent

TOOLS = Path(__file__).resolve().parent.parent / "data" / "import_corpus" / "tools"
WINDOW = {"channel": "incident-2024-03-04", "from": "2024-03-04T13:55", "to": "2024-03-04T16:10"}


@pytest.fixture
def draft(make_postmortem, author):
    return make_postmortem(title="Checkout errors", authors=[author],
                           started_at=datetime(2024, 3, 4, 14, 0, tzinfo=UTC))


@pytest.fixture
def published(make_postmortem, author):
    return make_postmortem(title="Published", authors=[author], status=Status.PUBLISHED,
                           started_at=datetime(2024, 3, 4, 14, 0, tzinfo=UTC))


def url(pm):
    return f"/postmortems/{pm.slug}/timeline/upload/"


def export():
    return SimpleUploadedFile("slack.zip", (TOOLS / "slack-export.zip").read_bytes(), "application/zip")


def pages():
    return [SimpleUploadedFile(f"p{n}.json", (TOOLS / f"pagerduty-log-entries-Q3TW4K8ZR2MV0C-page-{n}.json")
                               .read_bytes(), "application/json") for n in (1, 2)]


def test_slack_export_previews_the_window_with_placeholders(client, author, draft):
    client.force_login(author)
    data = client.post(url(draft), {"file": export(), **WINDOW}).json()
    assert len(data["events"]) == 38
    assert data["events"][0]["occurred_at"] == "2024-03-04T14:06:58+00:00"
    assert data["events"][0]["description"].startswith("Responder A: ")
    assert {"placeholder": "Responder A", "name": "Dana Okafor"} in data["speakers"]
    assert "38 message(s) became timeline events" in data["report"]
    assert not TimelineEvent.objects.exists()  # a preview: nothing saved


def test_pagerduty_pages_preview_events_and_times(client, author, draft):
    client.force_login(author)
    data = client.post(url(draft), {"file": pages()}).json()
    assert len(data["events"]) == 14
    assert data["times"] == {"started_at": "2024-03-04T14:02", "detected_at": "2024-03-04T14:02",
                             "resolved_at": "2024-03-04T15:58"}


@pytest.mark.parametrize("role, expected", [
    ("outsider", 404), ("reader", 404), ("other_author", 404), ("author", 200), ("facilitator", 200),
])
def test_permission_matrix_on_a_draft(client, request, draft, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.post(url(draft), {"file": pages()}).status_code == expected


@pytest.mark.parametrize("role, expected", [
    ("outsider", 403), ("reader", 403), ("other_author", 403), ("author", 200), ("facilitator", 200),
])
def test_permission_matrix_on_a_published_post_mortem(client, request, published, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.post(url(published), {"file": pages()}).status_code == expected


def test_get_is_not_allowed(client, author, draft):
    client.force_login(author)
    assert client.get(url(draft)).status_code == 405


def test_anonymous_is_sent_to_sign_in(client, draft):
    assert client.post(url(draft), {"file": pages()}).status_code == 302


@pytest.mark.parametrize("files, fields, message", [
    ([], {}, "Choose a Slack export"),
    ([SimpleUploadedFile("x.json", b"{not json")], {}, "neither a Slack export"),
    ([SimpleUploadedFile("x.json", b"\x00\x01\xff")], {}, "neither a Slack export"),
    ([SimpleUploadedFile("x.json", b"[" * 100_000)], {}, "neither a Slack export"),
    ([SimpleUploadedFile("x.json", b'{"incident": {}}')], {}, "no log_entries"),
    ([SimpleUploadedFile("x.zip", b"PK\x03\x04broken")], {"channel": "c"}, "not a zip file"),
])
def test_bad_files_get_a_clear_400(client, author, draft, files, fields, message):
    client.force_login(author)
    response = client.post(url(draft), {"file": files, **fields})
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("fields, message", [
    ({"channel": ""}, "name the channel"),
    ({"channel": "nope"}, "no channel #nope"),
    ({**WINDOW, "from": "not a time"}, "not a date and time"),
    ({**WINDOW, "from": "2024-03-05T10:00"}, "ends before it starts"),
])
def test_bad_slack_fields_get_a_clear_400(client, author, draft, fields, message):
    client.force_login(author)
    response = client.post(url(draft), {"file": export(), **fields})
    assert response.status_code == 400
    assert message in response.json()["error"]
