"""The editor's live preview shows Markdown as the page will, and says why when it will not."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = """The banner reached **every region**; see https://status.example.com/incidents/42.

| Time (UTC) | Signal |
|:-----------|-------:|
| 14:05 | Support tickets from Lisbon |

- [x] Turned the banner off
- [ ] Refuse an empty region list

<span class="button button--primary">Publish</span> ![graph](https://images.example.com/p99.png)
"""


def test_preview_shows_tables_task_lists_and_links_but_no_borrowed_buttons(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    page.locator(".markdownx textarea").first.fill(TEXT)
    preview = page.locator(".markdownx-preview").first
    expect(preview.locator("td").last).to_have_text("Support tickets from Lisbon")
    expect(preview.locator("td").last).to_have_css("text-align", "right")
    expect(preview.locator("li")).to_have_text(["☑ Turned the banner off", "☐ Refuse an empty region list"])
    expect(preview.locator("a[href='https://status.example.com/incidents/42']")).to_be_visible()
    expect(preview.get_by_role("link", name="graph")).to_have_attribute("href", "https://images.example.com/p99.png")
    expect(preview.locator("img, .button, input")).to_have_count(0)


def test_preview_says_when_text_is_too_long_and_keeps_it(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    editor = page.locator(".markdownx textarea").first
    editor.fill("word " * 6001)
    expect(page.locator(".markdownx-preview").first).to_contain_text(
        "Too long to preview: 30,005 characters, and a section holds at most 30,000."
    )
    expect(editor).to_have_value("word " * 6001)
