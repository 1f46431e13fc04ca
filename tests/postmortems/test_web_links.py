"""Stored links are web links: only http(s) is stored (editor, admin, importer, archive) or put in an href."""

import importlib
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template

from knowledge import archive
from postmortems import services
from postmortems.models import ActionItem, TimelineEvent
from postmortems.models import Template as PostMortemTemplate
from tests.postmortems.admin_support import form_data
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

MESSAGE = "Enter a web link that starts with https:// or http://."

HOSTILE = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(document.domain)",
    "   javascript:alert(1)",
    "\x01\x02javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "ftp://files.example.com/incident.log",
    "mailto:oncall@example.com",
    "//evil.example.com/x",
    "/relative/path",
]


@pytest.fixture
def draft(author):
    return services.postmortem_create(
        user=author, template=PostMortemTemplate.objects.get(slug="lightweight"), title="Checkout timeouts",
        severity="sev2", started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


def render(value, label="Tracker"):
    return Template("{% load hindsight %}{{ value|web_link:label }}").render(Context({"value": value, "label": label}))


# --- the template filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_filter_shows_anything_but_a_web_url_as_plain_text(value):
    html = render(value)
    assert "<a" not in html and "href" not in html
    assert html.startswith('<span class="link-refused">Tracker: ')


@pytest.mark.parametrize("value, href", [
    ("https://tracker.example.com/CHK-1", "https://tracker.example.com/CHK-1"),
    ("HTTP://Tracker.example.com/CHK-1", "HTTP://Tracker.example.com/CHK-1"),
    ("  https://tracker.example.com/CHK-1 \n", "https://tracker.example.com/CHK-1"),
    ('https://x.example.com/?q="><script>', "https://x.example.com/?q=&quot;&gt;&lt;script&gt;"),
])
def test_filter_links_web_urls_escaped(value, href):
    assert render(value) == f'<a href="{href}" rel="noopener noreferrer nofollow">Tracker</a>'


def test_filter_shows_nothing_for_no_link():
    assert render("") == ""


def test_detail_page_never_puts_a_stored_bad_link_in_an_href(client, author, draft):
    # Rows written before links were checked (or past the models, as bulk writes do).
    ActionItem.objects.create(postmortem=draft, title="Add an alert", tracker_url="javascript:alert(document.domain)")
    TimelineEvent.objects.create(postmortem=draft, occurred_at=datetime(2024, 3, 1, 14, 5, tzinfo=UTC),
                                 description="Pager fired", evidence_url=" JAVASCRIPT:alert(1)")
    client.force_login(author)
    content = client.get(f"/postmortems/{draft.slug}/").content.decode()
    assert 'href="javascript' not in content.lower() and "href=' javascript" not in content.lower()
    assert "Tracker: javascript:alert(document.domain)" in content
    assert "evidence:  JAVASCRIPT:alert(1)" in content


# --- the shared validator, on the model ------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_models_refuse_anything_but_web_urls(draft, value):
    item = ActionItem(postmortem=draft, title="Add an alert", tracker_url=value)
    with pytest.raises(ValidationError) as error:
        item.full_clean()
    assert error.value.message_dict["tracker_url"] == [MESSAGE]
    event = TimelineEvent(postmortem=draft, occurred_at=datetime(2024, 3, 1, tzinfo=UTC), description="x",
                          evidence_url=value)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert error.value.message_dict["evidence_url"] == [MESSAGE]


def test_models_accept_web_urls(draft):
    ActionItem(postmortem=draft, title="Add an alert", tracker_url="https://tracker.example.com/CHK-1").full_clean()


# --- the editor ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ftp://files.example.com/incident.log", "javascript:alert(document.domain)",
                                   "data:text/html,<script>alert(1)</script>"])
def test_editor_refuses_a_link_that_is_not_web_and_keeps_the_input(client, author, draft, value):
    client.force_login(author)
    data = editor_data(draft, **{
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Alert on cache hit ratio", "actions-0-kind": "detect",
        "actions-0-priority": "high", "actions-0-status": "open", "actions-0-tracker_url": value,
        "events-TOTAL_FORMS": 1, "events-0-occurred_at": "2024-03-01T14:05", "events-0-kind": "detection",
        "events-0-description": "Pager fired", "events-0-evidence_url": value,
    })
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 400  # refused: shown again with everything kept
    content = response.content.decode()
    assert content.count(MESSAGE) == 2
    assert "Alert on cache hit ratio" in content
    assert not ActionItem.objects.exists() and not TimelineEvent.objects.exists()
    draft.refresh_from_db()
    assert draft.version == 1


def test_editor_saves_a_web_link(client, author, draft):
    client.force_login(author)
    data = editor_data(draft, **{
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Alert on cache hit ratio", "actions-0-kind": "detect",
        "actions-0-priority": "high", "actions-0-status": "open",
        "actions-0-tracker_url": "https://tracker.example.com/CHK-1",
    })
    assert client.post(f"/postmortems/{draft.slug}/edit/", data).status_code == 302
    assert ActionItem.objects.get().tracker_url == "https://tracker.example.com/CHK-1"


# --- the admin -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ftp://files.example.com/incident.log", "JavaScript:alert(1)"])
def test_admin_refuses_a_link_that_is_not_web(client, facilitator, draft, value):
    item = ActionItem.objects.create(postmortem=draft, title="Add an alert")
    client.force_login(facilitator)
    url = f"/admin/postmortems/actionitem/{item.pk}/change/"
    data = form_data(client.get(url), "actionitem_form")
    data["tracker_url"] = [value]
    response = client.post(url, data)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    item.refresh_from_db()
    assert item.tracker_url == ""
    data["tracker_url"] = ["https://tracker.example.com/CHK-1"]
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.tracker_url == "https://tracker.example.com/CHK-1"


def test_admin_inline_refuses_a_link_that_is_not_web(client, facilitator, draft):
    event = TimelineEvent.objects.create(postmortem=draft, occurred_at=datetime(2024, 3, 1, 14, 5, tzinfo=UTC),
                                         description="Pager fired")
    client.force_login(facilitator)
    url = f"/admin/postmortems/postmortem/{draft.pk}/change/"
    data = form_data(client.get(url), "postmortem_form")
    data["timeline_events-0-evidence_url"] = ["ftp://files.example.com/incident.log"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    event.refresh_from_db()
    assert event.evidence_url == ""


# --- the importer ----------------------------------------------------------------------------------

IMPORTED = """# Checkout outage

## Timeline

| Time | Event | Evidence |
| --- | --- | --- |
| 2024-03-01 14:05 UTC | Pager fired | https://grafana.example.com/d/1 |

## Action items

- **Add an alert on cache hit ratio**
  Tracker: javascript:alert(document.domain)
- **Retire the old cache**
  Tracker: JAVASCRIPT:alert(1)
- **Write the runbook**
  Tracker: https://tracker.example.com/CHK-7
"""


def test_importer_refuses_a_tracker_link_that_is_not_web_and_keeps_the_text(tmp_path, author):
    path = tmp_path / "2024-03-01-checkout.md"
    path.write_text(IMPORTED)
    out = StringIO()
    call_command("import_markdown", str(path), stdout=out, stderr=StringIO())
    items = {item.title: item for item in ActionItem.objects.all()}
    alert = items["Add an alert on cache hit ratio"]
    assert alert.tracker_url == ""
    assert alert.description == "Tracker link removed (not http/https): javascript:alert(document.domain)"
    assert items["Retire the old cache"].tracker_url == ""
    assert items["Write the runbook"].tracker_url == "https://tracker.example.com/CHK-7"
    assert TimelineEvent.objects.get().evidence_url == "https://grafana.example.com/d/1"
    assert "tracker link of “Add an alert on cache hit ratio” refused" in out.getvalue()
    assert "tracker link of “Retire the old cache” refused" in out.getvalue()


# --- an archive written before links were checked --------------------------------------------------


def test_restoring_an_old_archive_keeps_bad_links_as_text(author, draft):
    ActionItem.objects.create(postmortem=draft, title="Add an alert", description="Page on it.",
                              tracker_url="javascript:alert(1)")
    data = archive.build_archive()
    for model in (ActionItem, TimelineEvent):
        model.objects.all().delete()
    draft.delete()
    report = archive.restore_archive(data)
    item = ActionItem.objects.get()
    assert item.tracker_url == ""
    assert item.description == "Page on it.\n\nTracker link removed (not http/https): javascript:alert(1)"
    assert any("not http/https" in warning for warning in report.warnings)


# --- the migration that cleaned stored links -------------------------------------------------------


def migration():
    folder = Path(__file__).resolve().parents[2] / "postmortems" / "migrations"
    (path,) = folder.glob("*_web_links_only.py")
    return importlib.import_module(f"postmortems.migrations.{path.stem}")


def test_migration_moves_bad_links_into_the_text_and_back(draft):
    bad = ActionItem.objects.create(postmortem=draft, title="Add an alert", description="Page on it.",
                                    tracker_url=" JavaScript:alert(document.domain)")
    bare = ActionItem.objects.create(postmortem=draft, title="Retire the cache", tracker_url="vbscript:msgbox(1)")
    good = ActionItem.objects.create(postmortem=draft, title="Runbook", tracker_url=" https://t.example.com/1")
    event = TimelineEvent.objects.create(postmortem=draft, occurred_at=datetime(2024, 3, 1, tzinfo=UTC),
                                         description="Pager fired", evidence_url="data:text/html,<b>x</b>")
    module = migration()
    module.clear_unsafe_links(apps, connection.schema_editor())
    for row in (bad, bare, good, event):
        row.refresh_from_db()
    assert bad.tracker_url == ""
    assert bad.description == "Page on it.\n\nTracker link removed (not http/https):  JavaScript:alert(document.domain)"
    assert bare.tracker_url == "" and bare.description == "Tracker link removed (not http/https): vbscript:msgbox(1)"
    assert good.tracker_url == "https://t.example.com/1" and good.description == ""
    assert event.evidence_url == ""
    assert event.description == "Pager fired\n\nEvidence link removed (not http/https): data:text/html,<b>x</b>"

    module.restore_unsafe_links(apps, connection.schema_editor())
    for row in (bad, bare, event):
        row.refresh_from_db()
    assert (bad.tracker_url, bad.description) == (" JavaScript:alert(document.domain)", "Page on it.")
    assert (bare.tracker_url, bare.description) == ("vbscript:msgbox(1)", "")
    assert (event.evidence_url, event.description) == ("data:text/html,<b>x</b>", "Pager fired")
