"""Every page, as each role, at a phone's and a desktop's width: it fits the viewport, answers without a
server error and passes axe-core's WCAG 2 A and AA rules.

One test on purpose: the demo data is loaded once, one browser page is reused, and every problem found is
listed together. Set HINDSIGHT_SCREENSHOTS=/some/folder to keep a full-page screenshot of each visit.
"""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}, "resultTypes": ["violations"]}
LONG_WORD = "Supercalifragilistic" * 15  # 300 characters without a break


def _demo_pages():
    """Load the demo archive and return {role: [url, ...]} covering every kind of page."""
    from django.core.management import call_command

    from knowledge.models import ReadingList
    from postmortems.models import PostMortem, Status

    call_command("load_demo", verbosity=0)
    published = PostMortem.objects.filter(status=Status.PUBLISHED).order_by("pk").first()
    # Long words and the longest tag the form allows must wrap, not widen the page.
    published.summary += f"\n\nA long word: {LONG_WORD}"
    published.save(update_fields=["summary"])
    published.tags.add("t" * 50)
    draft = PostMortem.objects.filter(status=Status.DRAFT, authors__username="author").first()
    in_review = PostMortem.objects.filter(status=Status.IN_REVIEW).first()
    reading_list = ReadingList.objects.order_by("pk").first()
    tag = published.tags.order_by("name").first()

    everyone = [
        "/", "/postmortems/", "/postmortems/?severity=sev1", f"/postmortems/{published.slug}/",
        f"/postmortems/{published.slug}/history/", f"/postmortems/{published.slug}/edit/",
        f"/postmortems/{draft.slug}/", f"/postmortems/{draft.slug}/edit/", f"/postmortems/{in_review.slug}/",
        "/postmortems/new/", "/action-items/", "/action-items/?owner=all&status=all", "/profile/",
        "/search/?q=database", f"/search/?q={LONG_WORD}", "/search/?q=", "/tags/", f"/tags/{tag.slug}/",
        "/reading-lists/", f"/reading-lists/{reading_list.slug}/", "/insights/", "/insights/postmortems/",
        "/coach/trends/", "/postmortems/no-such-write-up/",
    ]
    facilitator = everyone + [
        f"/postmortems/{in_review.slug}/send-back/", "/admin/", "/admin/postmortems/postmortem/",
        f"/admin/postmortems/postmortem/{published.pk}/change/", "/admin/postmortems/actionitem/",
        "/admin/postmortems/languagerule/", "/admin/auth/user/",
    ]
    return {None: ["/accounts/login/"], "reader": everyone, "author": everyone, "facilitator": facilitator}


def test_every_page_fits_answers_and_passes_axe_for_every_role(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    from knowledge.management.commands.load_demo import DEMO_PASSWORD

    pages = _demo_pages()
    axe = Axe()
    shots = os.environ.get("HINDSIGHT_SCREENSHOTS")
    problems = []
    visits = 0
    for role, urls in pages.items():
        page.context.clear_cookies()
        if role:
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(role)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for number, url in enumerate(urls):
                where = f"{role or 'signed out'} at {width} px, {url[:80]}"
                response = page.goto(live_server.url + url)
                visits += 1
                if response.status >= 500:
                    problems.append(f"{where}: answered {response.status}")
                    continue
                page.wait_for_load_state("load")
                overflow = page.evaluate(
                    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                if overflow[0] > overflow[1]:
                    problems.append(f"{where}: the document is {overflow[0]} px wide in a {overflow[1]} px viewport")
                for violation in axe.run(page, options=AXE_OPTIONS).response["violations"]:
                    targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
                    problems.append(f"{where}: axe {violation['id']} on {len(violation['nodes'])} element(s): "
                                    f"{targets}")
                if shots:
                    short = url.strip("/").replace("/", "_")[-40:] or "home"
                    name = f"{role or 'anon'}-{width}-{number:02d}-{short}.png"
                    page.screenshot(path=str(Path(shots) / name), full_page=True)
    assert visits > 100
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
