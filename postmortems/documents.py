"""The editor's document, and the three-way merge of two edits against the version both started from.

A document is plain data (JSON-ready) holding everything the editor edits:

    title, summary, severity          strings
    started_at … resolved_at          ISO 8601 strings in UTC, or None
    teams, tags, authors              sorted lists of names (team names, tag names, usernames)
    sections                          [{"id", "heading", "body"}]
    timeline                          [{"id", "when", "kind", "description", "evidence_url"}]
    factors                           [{"id", "category", "description"}]      (category: its name)
    action_items                      [{"id", "title", "description", "kind", "priority", "owner",
                                        "due_date", "status", "wont_do_reason", "tracker_url"}]

Each row carries its id; a new row has None. Rows new in a pending amendment carry negative ids
(they have no database row yet). Revision snapshots are documents plus "status" and "restricted",
so any revision can serve as the base of a merge; snapshots written before rows carried ids are
merged collection by collection.

The admin edits more than the editor: a section's layout (its kind, guidance, whether it is required,
its position) and who facilitates. A document saved with `layout=True` carries them too:

    facilitator                       a username, or None
    sections                          [{"id", "heading", "body", "kind", "guidance", "required", "position"}]

and a section it leaves out is removed (without layout, a section left out is kept: sections are the
template's structure, not the writer's). Revision snapshots and amendments never carry the layout.

Nothing here touches the database: building a document from a post-mortem and writing one back
live in services.py.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

SCALARS = ("title", "summary", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at")
SETS = ("teams", "tags", "authors")
COLLECTIONS = {
    "sections": ("heading", "body"),
    "timeline": ("when", "kind", "description", "evidence_url"),
    "factors": ("category", "description"),
    "action_items": (
        "title", "description", "kind", "priority", "owner", "due_date", "status", "wont_do_reason", "tracker_url",
    ),
}
TIME_FIELDS = {"started_at", "detected_at", "mitigated_at", "resolved_at"}
LAYOUT_SCALARS = ("facilitator",)
LAYOUT = {"sections": ("kind", "guidance", "required", "position")}

MINE, THEIRS, EDIT = "mine", "theirs", "edit"
CHOICES = (MINE, THEIRS, EDIT)


@dataclass(frozen=True)
class Conflict:
    """Both sides changed the same thing differently since the base.

    `key` names it: "title" (a field), "sections:12:body" (a field of a row), "timeline:5" (a row one
    side removed and the other changed; the removed side is None), or "timeline" (a whole collection,
    when the base predates row ids).
    """

    key: str
    base: Any
    mine: Any
    theirs: Any

    @property
    def kind(self) -> str:
        parts = self.key.split(":")
        if len(parts) == 3:
            return "field"
        if len(parts) == 2:
            return "row"
        return "collection" if self.key in COLLECTIONS else "field"

    @property
    def collection(self) -> str | None:
        name = self.key.split(":")[0]
        return name if name in COLLECTIONS else None

    @property
    def row_id(self) -> int | None:
        parts = self.key.split(":")
        return int(parts[1]) if len(parts) >= 2 else None

    @property
    def field(self) -> str | None:
        parts = self.key.split(":")
        if len(parts) == 3:
            return parts[2]
        return self.key if len(parts) == 1 and self.key not in COLLECTIONS else None


def empty(*, layout: bool = False) -> dict:
    """Return a document with nothing in it."""
    doc: dict = {key: "" for key in ("title", "summary", "severity")}
    doc.update({key: None for key in TIME_FIELDS})
    if layout:
        doc.update({key: None for key in LAYOUT_SCALARS})
    doc.update({key: [] for key in SETS})
    doc.update({key: [] for key in COLLECTIONS})
    return doc


def scalars(*, layout: bool = False) -> tuple[str, ...]:
    """Return the names of a document's single values (with `layout`, the facilitator too)."""
    return SCALARS + LAYOUT_SCALARS if layout else SCALARS


def fields_of(collection: str, *, layout: bool = False) -> tuple[str, ...]:
    """Return the fields of a row of `collection` (with `layout`, a section's layout too)."""
    return COLLECTIONS[collection] + (LAYOUT.get(collection, ()) if layout else ())


def normalized(doc: dict, *, layout: bool = False) -> dict:
    """Return `doc` with every key present, sets sorted and rows holding exactly their fields (plus id)."""
    out = empty(layout=layout)
    for key in scalars(layout=layout):
        if key in doc:
            out[key] = doc[key]
    for key in SETS:
        out[key] = sorted(set(doc.get(key) or []))
    for key in COLLECTIONS:
        fields = fields_of(key, layout=layout)
        rows = doc.get(key) or []
        out[key] = [{"id": row.get("id"), **{f: row.get(f, _default(f)) for f in fields}} for row in rows]
    return out


def _default(field: str):
    if field == "required":
        return False
    return None if field in ("when", "owner", "due_date", "position", "facilitator") else ""


def same(a: dict, b: dict, *, layout: bool = False) -> bool:
    """Return whether two documents hold the same content (row order within a collection counts)."""
    return normalized(a, layout=layout) == normalized(b, layout=layout)


def has_row_ids(doc: dict, collection: str) -> bool:
    """Return whether every row of `collection` in `doc` names its id (snapshots made before ids did not)."""
    return all("id" in row for row in doc.get(collection) or [])


def new_row_id(*docs: dict) -> int:
    """Return a negative id no row of `docs` uses (for a row that exists only in a pending amendment)."""
    lowest = 0
    for doc in docs:
        for collection in COLLECTIONS:
            for row in doc.get(collection) or []:
                if isinstance(row.get("id"), int):
                    lowest = min(lowest, row["id"])
    return lowest - 1


# --- Matching what the browser sends back to what it was sent ------------------------------------

def _loose(value):
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def _minute(value):
    return value[:16] if isinstance(value, str) else value


def align(mine: dict, base: dict, *, layout: bool = False) -> dict:
    """Return `mine` with values the browser could not send back exactly replaced by the base's.

    A form drops the seconds of a time, turns line ends into CRLF and trims text. Where `mine`
    equals the base up to that, the base's value is kept, so an untouched field never counts as
    a change.
    """
    mine = copy.deepcopy(mine)
    for key in scalars(layout=layout):
        if key in mine and key in base:
            mine[key] = _aligned(key, mine[key], base[key])
    for collection in COLLECTIONS:
        fields = fields_of(collection, layout=layout)
        base_rows = {row.get("id"): row for row in base.get(collection) or [] if row.get("id") is not None}
        for row in mine.get(collection) or []:
            old = base_rows.get(row.get("id"))
            if old is None:
                continue
            for f in fields:
                if f in row and f in old:
                    row[f] = _aligned(f, row[f], old[f])
    return mine


def _aligned(field: str, value, old):
    if value == old:
        return value
    if field in TIME_FIELDS or field == "when":
        return old if value is not None and old is not None and _minute(value) == _minute(old) else value
    if isinstance(value, str) and isinstance(old, str) and _loose(value) == _loose(old):
        return old
    return value


# --- The merge ---------------------------------------------------------------------------------

def _pick(key: str, base, mine, theirs, conflicts: list[Conflict]):
    if mine == theirs:
        return mine
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    conflicts.append(Conflict(key, base, mine, theirs))
    return mine


def _merge_set(base: list, mine: list, theirs: list) -> list:
    base_s, mine_s, theirs_s = set(base or []), set(mine or []), set(theirs or [])
    result = set()
    for item in base_s | mine_s | theirs_s:
        in_b, in_m, in_t = item in base_s, item in mine_s, item in theirs_s
        keep = in_m if in_m == in_t else (in_t if in_m == in_b else in_m)
        if keep:
            result.add(item)
    return sorted(result)


def _project(rows: list, fields) -> list:
    return [{f: row.get(f, _default(f)) for f in fields} for row in rows]


def _merge_whole(name: str, base: list, mine: list, theirs: list, conflicts: list[Conflict],
                 row_fields: tuple[str, ...]) -> list:
    """Merge a collection as one value (the base predates row ids): fields the base lacks are ignored."""
    fields = sorted({f for row in base for f in row} - {"id"}) or list(row_fields)
    base_p, mine_p, theirs_p = _project(base, fields), _project(mine, fields), _project(theirs, fields)
    if mine_p == base_p:
        return theirs
    if theirs_p == base_p or _project(mine, row_fields) == _project(theirs, row_fields):
        return mine
    conflicts.append(Conflict(name, base, mine, theirs))
    return mine


def _row_content(row: dict, fields) -> dict:
    return {f: row.get(f, _default(f)) for f in fields}


def _merge_rows(name: str, base: list, mine: list, theirs: list, conflicts: list[Conflict],
                fields: tuple[str, ...]) -> list:
    base_by_id = {row["id"]: row for row in base if row.get("id") is not None}
    mine_known = {row["id"]: row for row in mine if row.get("id") in base_by_id}
    mine_new = [row for row in mine if row.get("id") not in base_by_id]
    theirs_ids = {row.get("id") for row in theirs}
    merged = []
    for row in theirs:
        row_id = row.get("id")
        old = base_by_id.get(row_id)
        if old is None:  # new on their side
            merged.append(dict(row))
            continue
        ours = mine_known.get(row_id)
        if ours is None:  # removed on my side
            if _row_content(row, fields) != _row_content(old, fields):
                conflicts.append(Conflict(f"{name}:{row_id}", old, None, row))
                merged.append(dict(row))
            continue
        out = {"id": row_id}
        for f in fields:
            out[f] = _pick(f"{name}:{row_id}:{f}", old.get(f, _default(f)), ours.get(f, _default(f)),
                           row.get(f, _default(f)), conflicts)
        merged.append(out)
    for row_id, old in base_by_id.items():
        if row_id in theirs_ids:
            continue
        ours = mine_known.get(row_id)  # removed on their side
        if ours is not None and _row_content(ours, fields) != _row_content(old, fields):
            conflicts.append(Conflict(f"{name}:{row_id}", old, ours, None))
            merged.append(dict(ours))
    if name in MOVABLE:
        _keep_my_order(merged, base, mine_known, [row.get("id") for row in mine], theirs)
    # A new row keeps a negative id (it exists only in a pending amendment, which numbers its new rows
    # so that they can be told apart); any other id the base does not know is stale, and dropped.
    merged += [{**row, "id": row["id"] if _is_draft_id(row.get("id")) else None} for row in mine_new]
    return merged


# Collections whose rows the editor can move up and down (sections follow their template).
MOVABLE = ("timeline", "factors")


def _keep_my_order(merged: list, base: list, mine_known: dict, mine_ids: list, theirs: list) -> None:
    """Put the rows I kept in the order I gave them (moved in the editor), unless they reordered too."""
    if [row.get("id") for row in theirs] != [row.get("id") for row in base]:
        return
    slots = [i for i, row in enumerate(merged) if row.get("id") in mine_known]
    by_id = {merged[i]["id"]: merged[i] for i in slots}
    for slot, row_id in zip(slots, [i for i in mine_ids if i in by_id], strict=False):
        merged[slot] = by_id[row_id]


def _is_draft_id(value) -> bool:
    return isinstance(value, int) and value < 0


def merge(base: dict, mine: dict, theirs: dict, *, layout: bool = False) -> tuple[dict, list[Conflict]]:
    """Return `mine` and `theirs` merged against `base`, and what could not be merged.

    Different things changed on the two sides merge; the same field changed differently is a
    conflict (the merged document then holds my value there); a row removed on one side and changed
    on the other is a conflict (the merged document holds the changed row); new rows on either side
    are kept (mine with id None, or its negative id in an amendment). A set (teams, tags, authors)
    merges element by element.

    With `layout`, the documents carry the sections' layout and the facilitator (see above); a base
    without them (a revision snapshot) is taken to hold what `theirs` holds there.
    """
    whole = {name: base.get(name) or [] for name in COLLECTIONS if not has_row_ids(base, name)}
    if layout:
        base = _with_layout_of(base, theirs)
    base = normalized(base, layout=layout)
    mine, theirs = normalized(align(mine, base, layout=layout), layout=layout), normalized(theirs, layout=layout)
    if not layout:
        # Sections are the template's structure, not the writer's: one the document leaves out is unchanged.
        sent = {row["id"] for row in mine["sections"]}
        mine["sections"] += [row for row in base["sections"] if row["id"] not in sent]
    conflicts: list[Conflict] = []
    merged = empty(layout=layout)
    for key in scalars(layout=layout):
        merged[key] = _pick(key, base[key], mine[key], theirs[key], conflicts)
    for key in SETS:
        merged[key] = _merge_set(base[key], mine[key], theirs[key])
    for name in COLLECTIONS:
        fields = fields_of(name, layout=layout)
        if name in whole:
            merged[name] = _merge_whole(name, whole[name], mine[name], theirs[name], conflicts, fields)
        else:
            merged[name] = _merge_rows(name, base[name], mine[name], theirs[name], conflicts, fields)
    return merged, conflicts


def _with_layout_of(base: dict, theirs: dict) -> dict:
    """Return `base` with the layout it lacks taken from `theirs` (a snapshot never records the layout)."""
    base = copy.deepcopy(base)
    for key in LAYOUT_SCALARS:
        if key not in base:
            base[key] = theirs.get(key)
    for collection, extra in LAYOUT.items():
        their_rows = {row.get("id"): row for row in theirs.get(collection) or [] if row.get("id") is not None}
        for row in base.get(collection) or []:
            theirs_row = their_rows.get(row.get("id"), {})
            for f in extra:
                if f not in row:
                    row[f] = theirs_row.get(f, _default(f))
    return base


def replacing(mine: dict, current: dict, *, layout: bool = False) -> dict:
    """Return `mine` ready to replace `current` outright (a save that refuses to merge: nothing was saved
    since `mine` was loaded). Values the browser could not send back exactly keep `current`'s, and ids
    `current` does not know are dropped, as a merge drops them."""
    doc = normalized(align(mine, current, layout=layout), layout=layout)
    if not layout:
        sent = {row["id"] for row in doc["sections"]}
        doc["sections"] += [row for row in normalized(current)["sections"] if row["id"] not in sent]
    for name in COLLECTIONS:
        known = {row.get("id") for row in current.get(name) or []}
        for row in doc[name]:
            if row["id"] not in known and not _is_draft_id(row["id"]):
                row["id"] = None
    return doc


# --- Resolving conflicts ------------------------------------------------------------------------

def resolve(mine: dict, base: dict, resolutions: dict[str, str]) -> dict:
    """Return `mine` with each conflict resolved: "theirs" takes the base's value (the version the
    conflict was shown against); "mine" and "edit" keep what the form sent, except that "mine" on a
    row the author had removed removes it again."""
    mine = copy.deepcopy(mine)
    for key, choice in resolutions.items():
        parts = key.split(":")
        if parts[0] in COLLECTIONS and len(parts) == 1:
            if choice == THEIRS:
                mine[key] = copy.deepcopy(base.get(key) or [])
            continue
        if parts[0] in COLLECTIONS:
            _resolve_row(mine, base, parts, choice)
            continue
        if choice == THEIRS and key in SCALARS:
            mine[key] = base.get(key)
    return mine


def _resolve_row(mine: dict, base: dict, parts: list[str], choice: str) -> None:
    name, row_id = parts[0], _int(parts[1])
    rows = mine.setdefault(name, [])
    base_row = next((r for r in base.get(name) or [] if r.get("id") == row_id), None)
    index = next((i for i, r in enumerate(rows) if r.get("id") == row_id), None)
    if len(parts) == 3:
        if choice == THEIRS and base_row is not None and index is not None:
            rows[index][parts[2]] = base_row.get(parts[2])
        return
    if base_row is not None:
        # Their side kept (and changed) the row that I had removed.
        if choice == THEIRS:
            if index is None:
                rows.append(copy.deepcopy(base_row))
            else:
                rows[index] = copy.deepcopy(base_row)
        elif choice == MINE and index is not None:
            del rows[index]
    elif choice == THEIRS and index is not None:
        # Their side removed the row that I had changed.
        del rows[index]


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
