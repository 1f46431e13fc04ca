"""Site URLs are reversed by name in templates, application code and scripts; only tests write them out."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The first segment of every public page; a literal starting with one of these is a hand-written site URL.
SEGMENTS = ("postmortems", "action-items", "coach", "search", "tags", "reading-lists", "feeds", "profile",
            "insights", "similar", "accounts", "admin", "markdownx", "healthz")
TEMPLATE_LITERAL = re.compile(r'\b(?:href|action|src|formaction|data-[a-z-]+)\s*=\s*["\']/(?!/)')
CODE_LITERAL = re.compile(r"""["'`]/(?:""" + "|".join(re.escape(s) for s in SEGMENTS) + r")\b")
# A JSON API operation declares its route relative to /api/v1/ (django-ninja); it is a route, not a link.
API_ROUTE = re.compile(r"^\s*@(?:router|api)\.(?:get|post|put|patch|delete)\(")


def _files(pattern, *folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob(pattern)):
            if "migrations" not in path.parts:
                yield path


def _offending_lines(paths, regex):
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line) and not API_ROUTE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_templates_reverse_urls_by_name():
    assert _offending_lines(_files("*.html", "templates"), TEMPLATE_LITERAL) == []


def test_application_code_reverses_urls_by_name():
    assert _offending_lines(_files("*.py", "postmortems", "knowledge", "config"), CODE_LITERAL) == []


def test_scripts_take_urls_from_the_page():
    assert _offending_lines(_files("*.js", "static/js"), CODE_LITERAL) == []


def test_the_check_catches_a_literal_url():
    assert TEMPLATE_LITERAL.search('<a href="/postmortems/{{ pm.slug }}/">')
    assert TEMPLATE_LITERAL.search("<form action='/search/'>")
    assert not TEMPLATE_LITERAL.search('<a href="{% url \'search\' %}">')
    assert not TEMPLATE_LITERAL.search('<a href="//example.com/">')
    assert CODE_LITERAL.search('return redirect(f"/postmortems/{slug}/edit/")')
    assert CODE_LITERAL.search('link = "/search/?sort=newest"')
    assert not CODE_LITERAL.search('reverse("postmortem_detail", args=[slug])')
    assert API_ROUTE.search('@router.get("/postmortems", response={200: Page})')
    assert not API_ROUTE.search('url = "/postmortems/"  # @router.get(')
