"""Per-section differences between two revisions, as escaped HTML with <ins> and <del>."""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

from postmortems.services import snapshot_changes

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Change:
    label: str
    html: str


def word_diff(before: str, after: str) -> str:
    """Return `after` as HTML with inserted words in <ins> and removed words in <del>."""
    a, b = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))


def revision_changes(previous, revision) -> list[Change]:
    """Return what `revision` changed compared with `previous` (None: the first revision)."""
    before = previous.snapshot if previous else {}
    return [Change(c.label, word_diff(c.before, c.after)) for c in snapshot_changes(before, revision.snapshot)]


def document_changes(before: dict, after: dict) -> list[Change]:
    """Return what differs between two snapshots (the published text and an amendment), status aside."""
    after = {**after, "status": before.get("status")}
    return [Change(c.label, word_diff(c.before, c.after)) for c in snapshot_changes(before, after)]
