"""Every user text goes through one sanitising renderer: these payloads must come out inert."""

import re
import resource
from html.parser import HTMLParser

import pytest

from postmortems.markdown import MAX_NESTING, MAX_SECTION_CHARS, render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=10></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p onclick=\"alert(1)\">hi</p>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form action=\"https://evil.example\"><input name=q></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "[x](vbscript:msgbox(1))",
    "<details open ontoggle=alert(1)>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>body{display:none}</style>",
]
FORBIDDEN = ["<script", "onerror", "onload", "onclick", "ontoggle", "javascript:", "vbscript:", "data:", "<iframe",
             "<object", "<embed", "<svg", "style=", "<form", "<meta", "<base", "<link", "<style", "<math"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert(payload):
    html = render_markdown(payload).lower()
    for bad in FORBIDDEN:
        assert bad not in html, (payload, html)


def test_ordinary_markdown_survives():
    text = "## Impact\n\n**Bold**, `code`, [a link](https://example.com) and\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    html = render_markdown(text)
    assert "<h2>Impact</h2>" in html and "<strong>Bold</strong>" in html and "<code>code</code>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html


@pytest.mark.django_db
def test_preview_endpoint_requires_sign_in_and_sanitises(client, author):
    response = client.post("/markdownx/markdownify/", {"content": "<script>x</script>\n\n**b**"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(author)
    response = client.post("/markdownx/markdownify/", {"content": "<script>x</script>\n\n**b**"})
    assert response.status_code == 200
    assert b"<script" not in response.content and b"<strong>b</strong>" in response.content
    assert client.get("/markdownx/markdownify/").status_code == 405


@pytest.mark.django_db
def test_pages_render_user_text_through_the_renderer(client, author, make_postmortem):
    pm = make_postmortem(authors=[author], summary="<img src=x onerror=alert(1)> **sum**")
    pm.sections.create(heading="What happened", body="<script>alert(1)</script>\n\n*story*")
    pm.timeline_events.create(occurred_at="2024-01-01T00:00Z", description="<svg onload=alert(1)>")
    client.force_login(author)
    html = client.get(f"/postmortems/{pm.slug}/").content.decode()
    assert "onerror" not in html and "<script>alert" not in html and "onload" not in html
    assert "<strong>sum</strong>" in html and "<em>story</em>" in html


# --- What Markdown shows ------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Collect every element's tag and attributes, and the deepest nesting of lists and block quotes."""

    def __init__(self, html):
        super().__init__()
        self.elements, self.depth, self.deepest = [], 0, 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("ul", "ol", "blockquote"):
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag in ("ul", "ol", "blockquote"):
            self.depth -= 1


def elements(html):
    return _Elements(html).elements


def assert_only_safe_urls_and_attributes(html):
    for tag, attrs in elements(html):
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, attrs)
            assert name != "class" or (tag, value) == ("li", "task-list-item"), (tag, attrs)
            if name in ("href", "src"):
                scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|", value.strip()).group().lower()
                assert scheme in ("", "http:", "https:", "mailto:"), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("/media/"), attrs


MARKDOWN_VECTORS = [
    "<javascript:alert(1)>",
    "<JaVaScRiPt:alert(1)>",
    "javascript:alert(1) and www.javascript:alert(1) get no link",
    "[x]: javascript:alert(1)\n\nSee [x] and [y][x].",
    '[x]: <javascript:alert(1)> "title"\n\n[x]',
    "[x](<javascript:alert(1)>)",
    "[x](java&#115;cript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](file:///etc/passwd) [y](vbscript:msgbox(1)) [z](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1)) ![y](data:image/png;base64,iVBORw0KGgo=)",
    '[x](https://example.com/"onmouseover="alert(1))',
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "<div onclick=alert(1)>\n\n*block*\n\n</div>",
    "<details open ontoggle=alert(1)>\n<summary>x</summary>\n</details>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "`<script>alert(1)</script>` and\n\n```html\n<script>alert(1)</script>\n```",
    '<span class="button button--primary">Publish now</span>',
    '<a class="button" style="position:fixed;inset:0" href="/admin/">Publish</a>',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "- [x] <img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("text", MARKDOWN_VECTORS)
def test_markdown_vectors_leave_only_safe_urls_and_attributes(text):
    html = render_markdown(text)
    assert_only_safe_urls_and_attributes(html)
    assert "<script" not in html.lower() and "javascript:alert" not in html.split(">", 1)[0]


def test_writers_cannot_dress_text_as_the_sites_buttons():
    html = render_markdown('<span class="button button--primary">Publish now</span> and <div style="color:red">x</div>')
    assert "class=" not in html and "style=" not in html and "button" not in html
    assert "Publish now" in html


def test_links_are_http_https_mailto_or_our_own_pages_and_never_follow():
    html = render_markdown("[a](https://example.com) [b](/postmortems/x/) [c](mailto:sre@example.com) "
                           "[d](ftp://example.com/f) [e](javascript:alert(1))")
    hrefs = [attrs.get("href") for tag, attrs in elements(html) if tag == "a"]
    assert hrefs == ["https://example.com", "/postmortems/x/", "mailto:sre@example.com", None, None]
    assert all(attrs["rel"] == "noopener noreferrer nofollow" for tag, attrs in elements(html) if tag == "a")


def test_plain_urls_and_addresses_become_links():
    html = render_markdown("See https://status.example.com/incidents/42, www.example.org or sre@example.com.")
    hrefs = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert hrefs == ["https://status.example.com/incidents/42", "http://www.example.org", "mailto:sre@example.com"]


def test_headings_lists_code_tables_task_lists_and_strikethrough():
    text = ("# Title\n\n### Detail\n\n1. one\n2. two\n\n- a\n  - nested\n\n```python\nif x < 1:\n    y()\n```\n\n"
            "| Time | Event |\n|:-----|------:|\n| 14:05 | `pager` |\n\n- [ ] roll back\n- [x] page the on-call\n\n"
            "~~cache warm~~ took ~5 minutes, then ~10 more.\n\n> quoted")
    html = render_markdown(text)
    assert "<h1>Title</h1>" in html and "<h3>Detail</h3>" in html
    assert "<ol>\n<li>one</li>" in html and "<ul>\n<li>nested</li>" in html
    assert "<pre><code>if x &lt; 1:\n    y()\n</code></pre>" in html
    assert '<th align="left">Time</th>' in html and '<td align="right"><code>pager</code></td>' in html
    assert '<li class="task-list-item">☐ roll back</li>' in html
    assert '<li class="task-list-item">☑ page the on-call</li>' in html
    assert "<input" not in html
    assert "<del>cache warm</del> took ~5 minutes, then ~10 more." in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html


def test_remote_images_become_links_and_only_our_uploads_show_as_images():
    html = render_markdown("![Latency graph](https://images.example.com/p99.png) ![](//cdn.example.com/x.png)\n\n"
                           "![Our graph](/media/uploads/2024/03/graph.png) ![Up](/media/../accounts/logout/)")
    images = [attrs for tag, attrs in elements(html) if tag == "img"]
    links = [(attrs.get("href")) for tag, attrs in elements(html) if tag == "a"]
    assert images == [{"src": "/media/uploads/2024/03/graph.png", "alt": "Our graph", "loading": "lazy"}]
    assert links == ["https://images.example.com/p99.png", "//cdn.example.com/x.png", "/media/../accounts/logout/"]
    assert ">Latency graph</a>" in html


@pytest.mark.django_db
def test_an_uploaded_image_shows_as_an_image(client, author, make_postmortem, tmp_path, settings):
    from tests.postmortems.test_uploads import image_bytes, upload

    settings.MEDIA_ROOT = tmp_path
    draft = make_postmortem(authors=[author])
    client.force_login(author)
    image_code = upload(client, "graph.png", image_bytes("PNG"), "image/png", postmortem=draft).json()["image_code"]
    html = render_markdown(f"The graph:\n\n{image_code}")
    assert [tag for tag, _ in elements(html)].count("img") == 1


# --- Rendering never raises and stays shallow ------------------------------------------------------

NESTED_LIST_270 = "".join("  " * depth + "- item\n" for depth in range(270))
HOSTILE = {
    "null bytes": "a\x00b" * 1000,
    "lone surrogates": "x\ud800y\udfff" * 100,
    "control characters": "".join(chr(c) for c in range(32)) * 100,
    "carriage returns only": "> a\r- b\r  - c\r" * 1000,
    "a megabyte of brackets": "[" * 500_000 + "a" + "]" * 500_000,
    "brackets at the limit": "[" * (MAX_SECTION_CHARS // 2) + "]" * (MAX_SECTION_CHARS // 2),
    "270 nested list items": NESTED_LIST_270,
    "170 nested list items": "".join("  " * depth + "- item\n" for depth in range(170)),
    "nested quotes": "> " * 10_000 + "a",
    "quotes and lists on one line": "> - 1. * + " * 2500 + "a",
    "nested by tabs": "".join("\t" * depth + "- a\n" for depth in range(230)),
    "emphasis runs": "*a**a***a****" * 2000,
    "backtick runs": "".join("e" + "`" * n for n in range(1, 200)),
    "reference expansion": "[a]: /" + "x" * 5000 + "\n\n" + "[a]" * 5000,
    "a table to pad": "|" + "a|" * 500 + "\n|" + "-|" * 500 + "\n" + "|\n" * 5000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_render_never_raises_and_keeps_nesting_shallow(name):
    html = render_markdown(HOSTILE[name])
    assert isinstance(html, str)
    assert _Elements(html).deepest <= MAX_NESTING
    assert not any(chr(c) in html for c in range(32) if chr(c) not in "\t\n\r"), "control characters reach feeds"
    html.encode("utf-8")  # no lone surrogates


def test_nesting_beyond_the_limit_reads_as_text():
    html = render_markdown("".join("  " * depth + f"- level {depth + 1}\n" for depth in range(30)))
    assert _Elements(html).deepest == MAX_NESTING
    assert "level 21" in html and "level 30" in html


def test_text_over_the_limit_is_shown_as_plain_text():
    text = "**not bold** <b>x</b>\n\n" + "word " * MAX_SECTION_CHARS
    html = render_markdown(text)
    assert html.startswith("<p>**not bold** &lt;b&gt;x&lt;/b&gt;</p>")


def test_rendering_frees_what_the_parser_allocates():
    text = "| a | b |\n|---|---|\n" + "| **x** | [y](https://example.com) |\n" * 800
    render_markdown(text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(200):
        render_markdown(text)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 30, f"{grown_mb:.0f} MB more after 200 renders"
