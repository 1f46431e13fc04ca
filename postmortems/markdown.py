"""The one sanitising Markdown renderer: every user-written text is shown through it.

Any signed-in user can send text here (the editor's preview), and saved text is rendered on every
page view and feed fetch, so rendering must cost time linear in the text, with small constants, and
must never raise. How text becomes HTML, and why:

1. Parse with cmark-gfm, GitHub's C implementation of CommonMark, with its table, strikethrough,
   task-list and autolink extensions (plain URLs, www. addresses and e-mail addresses become
   links). It parses and renders without recursion, in linear time, caps reference expansion, and
   is fuzzed continuously. The pure-Python parsers could not keep the budget: on 10 KB of
   adversarial text markdown-it-py took 100-1,500 ms (and expanded 10 KB of references into 3 MB),
   Python-Markdown took seconds or raised RecursionError. cmarkgfm's own wrappers never free the
   syntax tree or the HTML they return (megabytes a call), so we call the library it ships through
   ctypes and free both. Strikethrough takes `~~` only: a single `~` means "about" in incident
   notes ("~5 minutes").
2. Raw HTML is left out (cmark's safe mode, which also blanks javascript:, vbscript:, file: and data:
   URLs). Markdown says all a post-mortem needs, and HTML would let a writer dress text as
   Hindsight's own controls. So all HTML after this step has the shapes cmark emits, which the next
   steps rely on.
3. Nesting: lists and block quotes nest at most MAX_NESTING levels; deeper ones are unwrapped and
   read as plain text, and forms refuse such text with a message (`MarkdownValidator`). Before
   parsing, a line whose prefix holds more markers than that gets the next one escaped, so one line
   cannot open thousands of elements: the sanitiser's cost grows with depth.
4. Images: only our own uploads (files under MEDIA_URL) are shown as images, loaded lazily. Any other
   image becomes a link to it: fetching it would tell a third party who read which post-mortem and
   when (restricted ones too: a referrer policy hides the page, not the reader's address and time),
   and the picture could change after the write-up was reviewed.
5. Task lists show ☐ and ☑ as text, not as form controls: the marks survive feeds, exports, search
   snippets and copying, and no form control appears inside the editor's form.
6. nh3 keeps exactly the tags and attributes the steps above emit: no `class` or `style` (only the
   task-list item class set here), links get rel="noopener noreferrer nofollow", and only http,
   https, mailto and relative URLs survive.

Limits: a section body holds at most 30,000 characters (about 5,000 words, several times the longest
section we have seen), every other Markdown field (summary, timeline event, contributing factor,
action item, reading list description and note) 10,000. The models validate them, so forms and the
admin say so next to the field; the preview answers longer text with HTTP 413 and a notice the
editor shows. The section limit is what keeps the worst text we know (a long table) within the
100 ms budget, sanitising included. Longer text (saved before the limits, say) is not parsed: it is
shown as escaped plain text, one linear pass.
"""

import ctypes
import re
from functools import lru_cache

import nh3
from cmarkgfm.cmark import Options
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.html import escape
from django.utils.safestring import mark_safe

from postmortems import cmark

MAX_NESTING = 20
MAX_SECTION_CHARS = 30_000
MAX_FIELD_CHARS = 10_000
RENDER_LIMIT = MAX_SECTION_CHARS

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALIGNMENTS = {"left", "center", "right"}
ATTRIBUTE_VALUES = {"th": {"align": ALIGNMENTS}, "td": {"align": ALIGNMENTS}}
TASK_CLASS = "task-list-item"
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8 | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
_EXTENSIONS = (b"table", b"strikethrough", b"tasklist", b"autolink")


_lib = cmark.lib
_extensions = cmark.extensions(_EXTENSIONS)
_free = cmark.free


def _cmark_html(text: str) -> str:
    """Return cmark-gfm's HTML for `text` (safe mode), freeing everything the library allocated."""
    data = text.encode("utf-8")
    parser = _lib.cmark_parser_new(_OPTIONS)
    try:
        for extension in _extensions:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        root = _lib.cmark_parser_finish(parser)
        try:
            output = _lib.cmark_render_html(root, _OPTIONS, _lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return ctypes.string_at(output).decode("utf-8", "replace")
            finally:
                _free(output)
        finally:
            _lib.cmark_node_free(root)
    finally:
        _lib.cmark_parser_free(parser)


# A line prefix of container markers (block quotes, list items) deeper than MAX_NESTING: the marker
# after the first MAX_NESTING is escaped, so the rest of the line is text.
_DEEP_PREFIX = re.compile(
    rf"^((?:[ \t]*+(?:>|(?:[-+*]|\d{{1,9}}[.)])(?=[ \t\n]|$))){{{MAX_NESTING}}})([ \t]*+\d{{0,9}})([>*+\-.)])",
    re.MULTILINE,
)
# Nesting deeper than MAX_NESTING needs a line whose prefix (indentation and markers) spans more than
# MAX_NESTING columns (a tab may span four); text without one skips the scan for deep nesting.
_POSSIBLY_DEEP = re.compile(rf"^(?:[ >*+\-.)0-9]{{{MAX_NESTING + 1}}}|[ >*+\-.)0-9]*+\t)", re.MULTILINE)
_CONTAINER_TAG = re.compile(r"<(/?)(blockquote|ul|ol|li)\b[^>]*>")
_TASK = {
    '<li><input type="checkbox" disabled="" /> ': f'<li class="{TASK_CLASS}">☐ ',
    '<li><input type="checkbox" checked="" disabled="" /> ': f'<li class="{TASK_CLASS}">☑ ',
    '<input type="checkbox" disabled="" /> ': "☐ ",
    '<input type="checkbox" checked="" disabled="" /> ': "☑ ",
}
# Control characters (invalid in the XML of feeds) and lone surrogates (not encodable) are shown as U+FFFD.
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_IMAGE = re.compile(r'<img src="([^"]*)" alt="([^"]*)"( title="[^"]*")? />')


def _escape_deep_prefixes(text: str) -> tuple[str, bool]:
    escaped = _DEEP_PREFIX.sub(r"\1\2\\\3", text)
    return escaped, escaped != text


def _flatten_deep_nesting(html: str) -> tuple[str, bool]:
    """Return `html` with block quotes and lists deeper than MAX_NESTING unwrapped (content kept)."""
    if html.count("<blockquote") + html.count("<ul") + html.count("<ol") <= MAX_NESTING:
        return html, False
    parts, position, depth, flattened = [], 0, 0, False
    for tag in _CONTAINER_TAG.finditer(html):
        closing, name = tag.group(1), tag.group(2)
        if name == "li":
            keep, replacement = depth <= MAX_NESTING, "" if closing else "<br>"
        elif closing:
            keep, replacement = depth <= MAX_NESTING, ""
            depth -= 1
        else:
            depth += 1
            keep, replacement = depth <= MAX_NESTING, ""
        if not keep:
            parts += [html[position:tag.start()], replacement]
            position, flattened = tag.end(), True
    parts.append(html[position:])
    return "".join(parts), flattened


@lru_cache(maxsize=4)
def _own_upload_pattern(media_url: str) -> re.Pattern:
    # Plain path characters and percent-escapes, but no way back up: no "..", no escaped dot, slash or backslash.
    return re.compile(rf"{re.escape(media_url)}(?!.*\.\.)(?:[A-Za-z0-9_./-]|%(?!2[eEfF]|5[cC])[0-9A-Fa-f]{{2}})+")


def is_own_upload(url: str) -> bool:
    """Return whether `url` is a file in our own media (uploads): the only images we show."""
    media_url = settings.MEDIA_URL or "/media/"
    return not media_url.startswith("//") and _own_upload_pattern(media_url).fullmatch(url) is not None


def _image_or_link(match: re.Match) -> str:
    src, alt, title = match.group(1), match.group(2), match.group(3) or ""
    if is_own_upload(src):
        return match.group(0)
    return f'<a href="{src}"{title}>{alt or src}</a>'


def _shape(html: str) -> str:
    for checkbox, glyph in _TASK.items():
        html = html.replace(checkbox, glyph)
    if "<img " in html:
        html = _IMAGE.sub(_image_or_link, html)
    return html.replace('<a href=""', "<a")


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ATTRIBUTE_VALUES,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        allowed_classes={"li": {TASK_CLASS}},
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def sanitise_html(html: str) -> str:
    """Return `html` with everything outside the allow-list removed."""
    return _cleaner().clean(html)


def _plain_text(text: str) -> str:
    """Return `text` as escaped paragraphs: inert by construction, so it skips the sanitiser's cost."""
    paragraphs = re.split(r"\n[ \t]*\n", escape(text))
    return "".join(f"<p>{p.strip()}</p>" for p in paragraphs if p.strip()).replace("\n", "<br>")


def _normalise(text: str) -> str:
    return _UNREPRESENTABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _nested_html(text: str) -> tuple[str, bool]:
    """Return cmark's HTML for `text` with nesting cut at MAX_NESTING, and whether anything was cut."""
    text, deep_prefix = _escape_deep_prefixes(text)
    html = _cmark_html(text)
    if not _POSSIBLY_DEEP.search(text):
        return html, deep_prefix
    html, flattened = _flatten_deep_nesting(html)
    return html, deep_prefix or flattened


def _render(text: str) -> tuple[str, bool]:
    """Return (sanitised HTML, whether nesting beyond MAX_NESTING was shown as text)."""
    text = _normalise(text)
    if len(text) > RENDER_LIMIT:
        return _plain_text(text), False
    html, too_deep = _nested_html(text)
    return sanitise_html(_shape(html)), too_deep


def render_markdown(text: str) -> str:
    """Return sanitised HTML for Markdown `text` (used by pages, feeds and the editor's preview)."""
    if not text:
        return ""
    return mark_safe(_render(str(text))[0])


def typed_length(text: str) -> int:
    """Return the length of `text` as its writer sees it (a browser sends each line break as two characters)."""
    return len(text) - text.count("\r")


def _too_long(text: str, max_chars: int) -> str | None:
    length = typed_length(text)
    if length <= max_chars:
        return None
    return f"This text is {length:,} characters long; it can be at most {max_chars:,}. Shorten it, or split it up."


def _too_deep(text: str) -> bool:
    return _nested_html(_normalise(text))[1]


TOO_DEEP = (f"Lists and block quotes nest more than {MAX_NESTING} levels deep here; deeper levels show as plain text. "
            "Flatten the deepest part.")


def markdown_problem(text: str, *, max_chars: int) -> str | None:
    """Return why Markdown `text` cannot be saved in a field of `max_chars` characters, or None."""
    if not text:
        return None
    return _too_long(text, max_chars) or (TOO_DEEP if _too_deep(text) else None)


@deconstructible
class MarkdownValidator:
    """Refuse Markdown longer than `max_chars` characters or nested deeper than MAX_NESTING levels."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars

    def __call__(self, value):
        problem = markdown_problem(value or "", max_chars=self.max_chars)
        if problem:
            raise ValidationError(problem, code="markdown")

    def __eq__(self, other):
        return isinstance(other, MarkdownValidator) and other.max_chars == self.max_chars


def render_preview(text: str) -> tuple[str, int]:
    """Return (HTML, HTTP status) for the editor's preview of a section body.

    Text over the section limit is not rendered: a notice says why (413) and the text stays in the editor.
    """
    length = typed_length(text)
    if length > MAX_SECTION_CHARS:
        notice = (f"Too long to preview: {length:,} characters, and a section holds at most {MAX_SECTION_CHARS:,}. "
                  "Your text is still in the editor.")
        return _notice(notice), 413
    if not text:
        return "", 200
    html, too_deep = _render(text)
    return (_notice(TOO_DEEP) + html if too_deep else html), 200


def _notice(message: str) -> str:
    return f'<p class="preview-notice" role="alert">{escape(message)}</p>'
