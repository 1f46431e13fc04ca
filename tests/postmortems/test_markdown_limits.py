"""Markdown fields have a size and a nesting limit; no text breaks the preview, a page or the feed."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from knowledge.models import ReadingList
from postmortems import services
from postmortems.markdown import MAX_NESTING
from postmortems.models import Profile, Section, Status, Template, TimelineEvent
from tests.postmortems.admin_support import PM_LIST, form_data
from tests.postmortems.test_markdown import _Elements
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

# 270 list items, each nested in the one before (a tab per level): the text that broke pages with
# RecursionError. It is longer than a section may be, so it only arrives from before the limits.
NESTED_270 = "".join("\t" * depth + "- item\n" for depth in range(270))
# As deep as a section may hold, nested 235 levels.
NESTED_235 = "".join("\t" * depth + "- item\n" for depth in range(235))
TOO_DEEP = f"nest more than {MAX_NESTING} levels deep"


@pytest.fixture
def draft(author):
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="standard"), title="Checkout timeouts", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


# --- The preview ---------------------------------------------------------------------------------


def test_preview_refuses_text_over_the_section_limit_with_a_notice(client, author):
    client.force_login(author)
    response = client.post("/markdownx/markdownify/", {"content": "word " * 6001})
    assert response.status_code == 413
    assert "Too long to preview: 30,005 characters, and a section holds at most 30,000." in response.content.decode()
    assert "Your text is still in the editor." in response.content.decode()


def test_preview_counts_a_line_break_once(client, author):
    client.force_login(author)
    response = client.post("/markdownx/markdownify/", {"content": "word\r\n" * 6000})
    assert response.status_code == 200 and response.content.count(b"word") == 6000


def test_preview_of_deep_nesting_renders_shallow_with_a_notice(client, author):
    client.force_login(author)
    response = client.post("/markdownx/markdownify/", {"content": NESTED_235})
    assert response.status_code == 200
    html = response.content.decode()
    assert TOO_DEEP in html and _Elements(html).deepest == MAX_NESTING


def test_preview_of_the_old_breaking_text_answers_with_a_notice(client, reader):
    client.force_login(reader)
    assert client.post("/markdownx/markdownify/", {"content": NESTED_270}).status_code == 413


# --- Pages and the feed ----------------------------------------------------------------------------


def test_deep_nesting_from_before_the_limits_breaks_neither_the_page_nor_the_feed(client, reader, make_postmortem):
    pm = make_postmortem(status=Status.PUBLISHED, published_at=timezone.now(), summary=NESTED_235)
    Section.objects.create(postmortem=pm, heading="What happened", body=NESTED_270)
    TimelineEvent.objects.create(postmortem=pm, occurred_at=timezone.now(), description=NESTED_235)
    client.force_login(reader)
    page = client.get(f"/postmortems/{pm.slug}/")
    assert page.status_code == 200 and _Elements(page.content.decode()).deepest <= MAX_NESTING + 2
    feed = client.get("/feeds/published/", {"token": Profile.for_user(reader).feed_token})
    assert feed.status_code == 200 and "item" in feed.content.decode()


def test_control_characters_in_a_summary_do_not_break_the_feed(client, reader, make_postmortem):
    make_postmortem(status=Status.PUBLISHED, published_at=timezone.now(), summary="Bell \x07 and escape \x1b[31m")
    feed = client.get("/feeds/published/", {"token": Profile.for_user(reader).feed_token})
    assert feed.status_code == 200 and "Bell" in feed.content.decode()


# --- The editor ------------------------------------------------------------------------------------


def test_editor_refuses_a_section_over_the_limit_and_keeps_the_text(client, author, draft):
    client.force_login(author)
    body = "Our story. " + "x" * 30_000
    response = client.post(f"/postmortems/{draft.slug}/edit/", editor_data(draft, **{"sections-0-body": body}))
    assert response.status_code == 400  # refused: shown again with everything kept
    content = response.content.decode()
    assert "This text is 30,011 characters long; it can be at most 30,000. Shorten it, or split it up." in content
    assert body in content
    draft.refresh_from_db()
    assert draft.version == 1 and not draft.sections.exclude(body="").exists()


def test_editor_counts_line_breaks_once(client, author, draft):
    client.force_login(author)
    body = "x\r\n" * 15_000  # 30,000 characters as typed, 45,000 as a browser sends them
    response = client.post(f"/postmortems/{draft.slug}/edit/", editor_data(draft, **{"sections-0-body": body}))
    assert response.status_code == 302


def test_editor_refuses_deep_nesting_and_long_structured_parts(client, author, draft):
    client.force_login(author)
    data = editor_data(draft, **{
        "summary": "s" * 10_001,
        "sections-0-body": "> " * 30 + "deep",
        "events-TOTAL_FORMS": 1, "events-0-occurred_at": "2024-03-01T14:05", "events-0-kind": "action",
        "events-0-description": "- " * 25 + "rolled back",
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Alert on hit ratio", "actions-0-kind": "detect",
        "actions-0-priority": "low", "actions-0-status": "open", "actions-0-description": "d" * 10_001,
    })
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 400  # refused: shown again with everything kept
    content = response.content.decode()
    assert content.count(TOO_DEEP) == 2
    assert content.count("This text is 10,001 characters long; it can be at most 10,000.") == 2
    draft.refresh_from_db()
    assert draft.version == 1 and not TimelineEvent.objects.exists()


# --- The admin and the library ---------------------------------------------------------------------


def test_admin_refuses_a_summary_over_the_limit_next_to_the_field(client, facilitator, make_postmortem):
    pm = make_postmortem(title="Before")
    Section.objects.create(postmortem=pm, heading="Summary", body="Old body")
    client.force_login(facilitator)
    data = form_data(client.get(f"{PM_LIST}{pm.pk}/change/"), "postmortem_form")
    data["summary"] = ["s" * 10_001]
    data["sections-0-body"] = ["> " * 30 + "deep"]
    response = client.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "it can be at most 10,000" in content and TOO_DEEP in content
    pm.refresh_from_db()
    assert pm.summary == "" and pm.sections.get().body == "Old body"


def test_reading_list_texts_have_the_same_limits():
    reading_list = ReadingList(title="Start here", slug="start-here", description="d" * 10_001)
    with pytest.raises(ValidationError) as refused:
        reading_list.full_clean()
    assert "it can be at most 10,000" in str(refused.value.message_dict["description"])
