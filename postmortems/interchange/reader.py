"""Read the structure of a Markdown write-up: front matter, headings, and the blocks between them.

Pure Python over cmark-gfm's syntax tree (the product's one Markdown parser, the same library the
renderer uses; GFM tables and task lists enabled), with no Django imports, so the importer, the
`check_language` command and the timeline paste parser read a document the same way:

    outline = read_outline(text)        # blocks with their 1-based source lines
    front, body, first_line = split_front_matter(text)

What cmark settles that regular expressions did not: ATX and setext headings at any level, HTML
comments and fenced code (whose lines are never structure), tables, nested and task lists.
"""

import re
from dataclasses import dataclass, field

import yaml

from postmortems import cmark

# Front matter is a flat mapping with a few lists; deeper nesting is no post-mortem's.
MAX_FRONT_MATTER_DEPTH = 10
_EXTENSIONS = (b"table", b"tasklist", b"strikethrough", b"autolink")
_OPT_VALIDATE_UTF8 = 1 << 9
_OPT_SOURCEPOS = 1 << 1
_UNDERLINE_RE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


class ReadError(Exception):
    """The text cannot be read as a write-up; the message says why."""


_lib = cmark.lib
_extensions = cmark.extensions(_EXTENSIONS)


@dataclass
class Block:
    """One top-level block of the document; lines are 1-based and inclusive, counted in the text read."""

    kind: str  # heading, paragraph, list, table, code_block, html_block, thematic_break, block_quote
    start: int
    end: int
    level: int = 0  # headings: 1-6
    text: str = ""  # headings: the heading's words without markup (other blocks: empty)
    setext: bool = False
    comment: bool = False  # html blocks: an HTML comment
    items: list["Item"] = field(default_factory=list)  # lists: the top-level items


@dataclass
class Item:
    start: int
    end: int
    checked: bool | None = None  # task list items: whether ticked; None when not a task


@dataclass
class Outline:
    blocks: list[Block]

    @property
    def headings(self) -> list[Block]:
        return [block for block in self.blocks if block.kind == "heading"]

    def opaque_lines(self) -> set[int]:
        """Return the lines that are code or HTML comments: never structure.

        Other raw HTML blocks (a Confluence export's `<div>`) run until a blank line and may hold
        the document's own lines, so they are read like text.
        """
        lines: set[int] = set()
        for block in self.blocks:
            if block.kind == "code_block" or (block.kind == "html_block" and block.comment):
                lines.update(range(block.start, block.end + 1))
        return lines

    def tables(self) -> list[Block]:
        return [block for block in self.blocks if block.kind == "table"]


def _type(node) -> str:
    return _lib.cmark_node_get_type_string(node).decode()


def _children(node):
    child = _lib.cmark_node_first_child(node)
    while child:
        yield child
        child = _lib.cmark_node_next(child)


def _plain_text(node) -> str:
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = _type(current)
        if kind in ("text", "code"):
            parts.append((_lib.cmark_node_get_literal(current) or b"").decode("utf-8", "replace"))
        elif kind in ("softbreak", "linebreak"):
            parts.append(" ")
        stack.extend(reversed(list(_children(current))))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def read_outline(text: str) -> Outline:
    """Return the top-level blocks of `text` as cmark-gfm parses them."""
    data = text.encode("utf-8")
    parser = _lib.cmark_parser_new(_OPT_VALIDATE_UTF8 | _OPT_SOURCEPOS)
    try:
        for extension in _extensions:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        root = _lib.cmark_parser_finish(parser)
        try:
            blocks = [_block(node) for node in _children(root)]
        finally:
            _lib.cmark_node_free(root)
    finally:
        _lib.cmark_parser_free(parser)
    # cmark's end lines may take in the blank lines after a block (and an HTML block's may come
    # before its start): end each block at its last non-blank line before the next block.
    lines = text.split("\n")
    for index, block in enumerate(blocks):
        limit = blocks[index + 1].start - 1 if index + 1 < len(blocks) else len(lines)
        end = min(block.end, limit) if block.end >= block.start else limit
        while end > block.start and not lines[end - 1].strip():
            end -= 1
        block.end = end
        if block.kind == "heading":
            block.setext = block.end > block.start and bool(_UNDERLINE_RE.match(lines[block.end - 1]))
    return Outline(blocks)


def _block(node) -> Block:
    kind = _type(node)
    block = Block(kind=kind, start=_lib.cmark_node_get_start_line(node), end=_lib.cmark_node_get_end_line(node))
    if kind == "heading":
        block.level = _lib.cmark_node_get_heading_level(node)
        block.text = _plain_text(node)
    elif kind == "list":
        for item in _children(node):
            checked = None
            if _type(item) == "tasklist":
                checked = bool(_lib.cmark_gfm_extensions_get_tasklist_item_checked(item))
            block.items.append(Item(_lib.cmark_node_get_start_line(item), _lib.cmark_node_get_end_line(item),
                                    checked))
    elif kind == "html_block":
        block.comment = (_lib.cmark_node_get_literal(node) or b"").lstrip().startswith(b"<!--")
    return block


# ---------------------------------------------------------------- front matter


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without anchors and aliases, and with a cap on nesting.

    Nine lines of nested aliases expand to a billion values once read, and thousands of nested
    brackets exhaust Python's stack; neither belongs in a post-mortem's front matter.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed", event.start_mark)
        self._depth += 1
        if self._depth > MAX_FRONT_MATTER_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"values nest deeper than {MAX_FRONT_MATTER_DEPTH} levels", event.start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return the YAML front matter of `text` (keys lower-cased) and the text after it."""
    if not text.startswith("---\n"):
        return {}, text
    match = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.M)
    if not match:
        raise ReadError("front matter starts with --- but never ends")
    block, rest = text[4:4 + match.start()], text[4 + match.end():]
    try:
        data = yaml.load(block, Loader=_FrontMatterLoader) or {}  # noqa: S506 (a SafeLoader, stricter still)
    except yaml.YAMLError as error:
        raise ReadError(f"front matter is not valid YAML ({_yaml_problem(error, first_line=2)})") from None
    if not isinstance(data, dict):
        raise ReadError("front matter is not a mapping of keys to values")
    return {str(k).strip().lower(): v for k, v in data.items()}, rest.lstrip("\n")


def _yaml_problem(error: yaml.YAMLError, *, first_line: int) -> str:
    """Return the first line of a YAML error, with the file's line number when PyYAML says where."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        where = f" (line {error.problem_mark.line + first_line})" if error.problem_mark else ""
        return f"{error.problem}{where}"
    return str(error).splitlines()[0]


# ---------------------------------------------------------------- sections

# Headings that name a part of a write-up, never its title.
GENERIC_HEADING = re.compile(
    r"^(?:issue |incident |executive )?(?:summary|overview|background|timeline|impact|tl;?dr|description|"
    r"root causes?|contributing factors|action items|lessons learn(?:ed|t)|what happened|details|context)\b",
    re.I,
)
PSEUDO_HEADING = re.compile(r"^\s*(?:\*\*|__)([^*_\n]{1,80})(?:\*\*|__)\s*(?:\([^)\n]{0,60}\))?\s*:?\s*$")


@dataclass
class Sections:
    title: str = ""
    title_line: int = 0
    before: str = ""  # text before the title
    intro: str = ""  # text between the title and the first section
    # (heading, body, first line of the body, heading level)
    parts: list[tuple[str, str, int, int]] = field(default_factory=list)


def split_sections(text: str, outline: Outline | None = None) -> Sections:
    """Split `text` at its headings: the first level-1 heading is the title; any later level-1 heading
    and the shallowest level below it start sections; deeper headings stay inside (as written)."""
    outline = outline or read_outline(text)
    lines = text.split("\n")
    headings = outline.headings
    result = Sections()
    title_heading = next((h for h in headings if h.level == 1), None)
    rest = [h for h in headings if h is not title_heading]
    if title_heading is not None:
        result.title, result.title_line = title_heading.text, title_heading.start
        rest = [h for h in rest if h.start > title_heading.start] + [h for h in rest if h.start < title_heading.start]
        rest.sort(key=lambda h: h.start)
    below = [h for h in rest if title_heading is None or h.start > title_heading.start]
    # The shallowest level under the title starts sections; a later level-1 heading does too.
    section_level = min((h.level for h in below if h.level > 1), default=2)
    starts = [h for h in below if h.level <= section_level]

    def body(first: int, last: int) -> str:  # 1-based inclusive line numbers
        return "\n".join(lines[first - 1:last]) if first <= last else ""

    first_section = starts[0].start if starts else len(lines) + 1
    if title_heading is not None:
        result.before = body(1, title_heading.start - 1).strip()
        result.intro = body(title_heading.end + 1, first_section - 1).strip()
    else:
        result.before = body(1, first_section - 1).strip()
    for index, heading in enumerate(starts):
        end = starts[index + 1].start - 1 if index + 1 < len(starts) else len(lines)
        result.parts.append((heading.text[:200], body(heading.end + 1, end).strip("\n"), heading.end + 1,
                             heading.level))
    return result


def title_from_filename(filename: str) -> str:
    """Return the words of a file name without its date prefix: "2023-11-03-queue-stall.md" → "Queue stall"."""
    stem = re.sub(r"\.(?:md|markdown|txt)$", "", filename.rsplit("/", 1)[-1], flags=re.I)
    stem = re.sub(r"^(?:\d{4}[-_]?\d{2}[-_]?\d{2}|\d{2}[-_]\d{2}[-_]\d{4})[-_ ]*", "", stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:]
