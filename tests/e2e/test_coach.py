"""The language coach in the editor: hints as the author types, the panel, dismissing with a reason."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLAMING = "The on-call engineer carelessly restarted the primary."
REWRITTEN = "The on-call engineer restarted the primary, because the runbook listed it first."


def test_typing_a_blaming_sentence_shows_a_hint_that_goes_when_rewritten(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    panel = page.locator("#coach-panel")
    expect(panel.get_by_role("heading", name="Language coach")).to_be_visible()
    expect(panel.locator(".coach-panel__status")).to_have_text("Nothing to flag so far.")

    story = page.get_by_label("What happened", exact=True)
    story.click()
    story.press_sequentially(BLAMING, delay=5)
    hint = page.locator(".coach-hint")
    expect(hint).to_be_visible()
    expect(hint.locator("mark")).to_have_text("carelessly")
    expect(hint).to_contain_text("The on-call engineer restarted the primary")
    # The hint sits right under the field being typed in (under its Markdown widget, beside the preview).
    assert page.evaluate("el => (el.closest('.markdownx') || el).nextElementSibling.classList.contains('coach-hint')",
                         story.element_handle())
    expect(panel.locator(".coach-finding mark")).to_have_text("carelessly")
    expect(panel.locator(".coach-group__label")).to_have_text("What happened")
    expect(panel.locator(".coach-panel__status")).to_have_text("1 finding in 1 text.")

    story.fill(REWRITTEN)
    expect(hint).to_have_count(0)
    expect(panel.locator(".coach-finding")).to_have_count(0)
    expect(panel.locator(".coach-panel__status")).to_have_text("Nothing to flag so far.")

    # Counterfactuals are plans in the lessons, so the coach leaves them alone there.
    lessons = page.get_by_label("What we learned", exact=True)
    lessons.fill("We should have had a canary stage; we will add one.")
    story.fill("We should have had a canary stage.")
    expect(panel.locator(".coach-finding")).to_have_count(1)
    expect(panel.locator(".coach-group__label")).to_have_text("What happened")


def test_dismissing_a_finding_with_a_reason_then_saving(page, live_server, login, draft):
    from postmortems.models import FindingDismissal, Revision

    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    story = page.get_by_label("What happened", exact=True)
    story.fill("Obviously the primary was the wrong host.")
    panel = page.locator("#coach-panel")
    finding = panel.locator(".coach-finding").first
    expect(finding.locator("mark")).to_have_text("Obviously")

    finding.get_by_role("button", name="Keep this phrase…").click()
    finding.get_by_role("button", name="Dismiss with this reason").click()
    expect(finding.locator(".errorlist")).to_contain_text("Say why")
    finding.get_by_label("Why should it stay?").fill("It quotes the status page word for word.")
    finding.get_by_role("button", name="Dismiss with this reason").click()

    kept = panel.locator(".coach-kept")
    expect(kept.locator("summary")).to_have_text("Kept with a reason (1)")
    expect(page.locator(".coach-hint")).to_have_count(0)
    expect(panel.locator(".coach-panel__status")).to_have_text("Nothing to flag so far.")
    dismissal = FindingDismissal.objects.get(postmortem=draft)
    assert (dismissal.rule_slug, dismissal.text) == ("obviously", "Obviously")
    assert Revision.objects.filter(postmortem=draft, action="dismissed a language finding").exists()

    # The dismissal moved the version on; the editor's save still goes through without a conflict.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    draft.refresh_from_db()
    assert draft.sections.get(heading="What happened").body == "Obviously the primary was the wrong host."
    assert draft.language_findings.filter(rule_slug="obviously").exists()

    # Back in the editor, the kept finding is listed as kept, with its reason.
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    expect(panel.locator(".coach-kept summary")).to_have_text("Kept with a reason (1)")
    panel.locator(".coach-kept summary").click()
    expect(panel.locator(".coach-finding__reason")).to_contain_text("It quotes the status page word for word.")
