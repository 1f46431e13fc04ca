"""Every user text goes through one sanitising renderer: these payloads must come out inert."""

import pytest

from postmortems.markdown import render_markdown

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
    response = client.post("/markdownx/markdownify/", {"content": "<script>x</script>**b**"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(author)
    response = client.post("/markdownx/markdownify/", {"content": "<script>x</script>**b**"})
    assert response.status_code == 200
    assert b"<script" not in response.content and b"<strong>b</strong>" in response.content
    assert client.get("/markdownx/markdownify/").status_code == 405


@pytest.mark.django_db
def test_pages_render_user_text_through_the_renderer(client, author, make_postmortem):
    pm = make_postmortem(authors=[author], summary="<img src=x onerror=alert(1)> **sum**")
    pm.sections.create(heading="What happened", body="<script>alert(1)</script> *story*")
    pm.timeline_events.create(occurred_at="2024-01-01T00:00Z", description="<svg onload=alert(1)>")
    client.force_login(author)
    html = client.get(f"/postmortems/{pm.slug}/").content.decode()
    assert "onerror" not in html and "<script>alert" not in html and "onload" not in html
    assert "<strong>sum</strong>" in html and "<em>story</em>" in html
