"""Markdown is rendered once, when saved: pages and the feed show the stored HTML."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from knowledge.models import ReadingList, ReadingListItem
from knowledge.services import reading_list_append
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Profile,
    Section,
    TimelineEvent,
)
from tests.postmortems.test_views import draft, editor_data  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_saving_in_the_editor_stores_each_fields_sanitised_html(client, author, draft):  # noqa: F811
    client.force_login(author)
    data = editor_data(draft, **{
        "summary": "The **cache** emptied. <script>alert(1)</script>",
        "sections-0-body": "## Where\n[x](javascript:alert(1)) and *this*",
        "events-TOTAL_FORMS": 1, "events-0-occurred_at": "2024-03-01T14:05", "events-0-kind": "detection",
        "events-0-description": "Alert `paged`.",
        "factors-TOTAL_FORMS": 1, "factors-0-category": FactorCategory.objects.first().pk,
        "factors-0-description": "A ~~stale~~ config.",
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Add a check", "actions-0-kind": "detect",
        "actions-0-priority": "high", "actions-0-status": "open", "actions-0-description": "- [ ] write it",
    })
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.summary_html == "<p>The <strong>cache</strong> emptied. alert(1)</p>\n"  # raw HTML left out
    body = draft.sections.first().body_html
    assert "<h2>Where</h2>" in body and "<em>this</em>" in body and "javascript" not in body
    assert TimelineEvent.objects.get(postmortem=draft).description_html == "<p>Alert <code>paged</code>.</p>\n"
    assert ContributingFactor.objects.get(postmortem=draft).description_html == "<p>A <del>stale</del> config.</p>\n"
    assert "☐ write it" in ActionItem.objects.get(postmortem=draft).description_html

    second = editor_data(draft, **{"sections-0-body": "Now *different*.", "version": draft.version})
    assert client.post(f"/postmortems/{draft.slug}/edit/", second).status_code == 302
    assert draft.sections.first().body_html == "<p>Now <em>different</em>.</p>\n"


def test_the_page_shows_the_stored_html_and_never_parses(client, author, make_postmortem):
    pm = make_postmortem(authors=[author], summary="*sum*")
    Section.objects.create(postmortem=pm, heading="What happened", body="**body**")
    # Stored HTML that the source would not give: the page must show what is stored.
    PostMortem.objects.filter(pk=pm.pk).update(summary_html="<p>stored summary</p>")
    Section.objects.filter(postmortem=pm).update(body_html="<p>stored body</p>")
    client.force_login(author)
    html = client.get(f"/postmortems/{pm.slug}/").content.decode()
    assert "stored summary" in html and "stored body" in html
    assert "<em>sum</em>" not in html and "<strong>body</strong>" not in html


def test_the_feed_shows_the_stored_summary(client, reader, make_postmortem):
    make_postmortem(title="Lesson", status="published", published_at=timezone.now(), summary="*sum*")
    response = client.get("/feeds/published/", {"token": Profile.for_user(reader).feed_token})
    assert "&lt;p&gt;&lt;em&gt;sum&lt;/em&gt;&lt;/p&gt;" in response.content.decode()


def test_update_fields_and_bulk_writes_render_only_what_they_write(make_postmortem):
    pm = make_postmortem(summary="*one*")
    assert pm.summary_html == "<p><em>one</em></p>\n"
    pm.summary = "*two*"
    pm.save(update_fields=["title"])  # the summary is not written, nor its HTML
    assert PostMortem.objects.get(pk=pm.pk).summary_html == "<p><em>one</em></p>\n"
    pm.save(update_fields=["summary"])
    assert PostMortem.objects.get(pk=pm.pk).summary_html == "<p><em>two</em></p>\n"
    [section] = Section.objects.bulk_create([Section(postmortem=pm, heading="H", body="**b**")])
    section.body = "**c**"
    Section.objects.bulk_update([section], ["body"])
    assert Section.objects.get(pk=section.pk).body_html == "<p><strong>c</strong></p>\n"


def test_reading_list_text_is_stored_rendered(client, reader, make_postmortem):
    pm = make_postmortem(status="published", published_at=timezone.now())
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here", description="Read *these*.")
    reading_list_append(reading_list=reading_list, postmortems=PostMortem.objects.filter(pk=pm.pk),
                        note="Look at **the timeline**.")
    assert reading_list.description_html == "<p>Read <em>these</em>.</p>\n"
    assert ReadingListItem.objects.get().note_html == "<p>Look at <strong>the timeline</strong>.</p>\n"
    client.force_login(reader)
    assert "<strong>the timeline</strong>" in client.get("/reading-lists/start-here/").content.decode()


def test_rerender_markdown_brings_stale_html_up_to_date(make_postmortem):
    pm = make_postmortem(summary="*sum*")
    Section.objects.create(postmortem=pm, heading="H", body="**b**")
    fresh = Section.objects.create(postmortem=pm, heading="H2", body="c")
    PostMortem.objects.update(summary_html="old")
    Section.objects.filter(heading="H").update(body_html="old")
    out = StringIO()
    call_command("rerender_markdown", stdout=out)
    assert "post-mortems: 1 re-rendered" in out.getvalue() and "sections: 1 re-rendered" in out.getvalue()
    assert PostMortem.objects.get().summary_html == "<p><em>sum</em></p>\n"
    assert Section.objects.get(heading="H").body_html == "<p><strong>b</strong></p>\n"
    assert Section.objects.get(pk=fresh.pk).body_html == "<p>c</p>\n"
    out = StringIO()
    call_command("rerender_markdown", stdout=out)
    assert "sections: 0 re-rendered" in out.getvalue()


def test_text_over_the_render_limit_is_stored_as_escaped_text(make_postmortem):
    pm = make_postmortem()
    section = Section.objects.create(postmortem=pm, heading="H", body="<b>x</b>\x01 " * 4000)
    assert section.body_html.startswith("<p>&lt;b&gt;x&lt;/b&gt;\ufffd") and "<b>" not in section.body_html
