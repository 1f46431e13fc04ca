"""The three-way merge of editor documents (pure: no database)."""

import copy

from postmortems.documents import align, empty, merge, new_row_id, normalized, replacing, resolve, same


def doc(**fields):
    base = empty()
    base.update(
        title="Checkout timeouts",
        summary="Checkout requests timed out.",
        severity="sev2",
        started_at="2024-03-01T14:00:00+00:00",
        teams=["Payments"],
        tags=["checkout"],
        authors=["arthur"],
        sections=[{"id": 1, "heading": "Summary", "body": "One."}, {"id": 2, "heading": "Impact", "body": "Two."}],
        timeline=[
            {"id": 10, "when": "2024-03-01T14:05:00+00:00", "kind": "detection", "description": "Pager fired.",
             "evidence_url": ""},
            {"id": 11, "when": "2024-03-01T14:20:00+00:00", "kind": "action", "description": "Rolled back.",
             "evidence_url": ""},
        ],
        factors=[{"id": 20, "category": "Change", "description": "A config change."}],
        action_items=[{"id": 30, "title": "Alert on hit ratio", "description": "", "kind": "detect",
                       "priority": "high", "owner": "arthur", "due_date": "2024-04-01", "status": "open",
                       "wont_do_reason": "", "tracker_url": ""}],
    )
    base.update(fields)
    return base


def edited(document, **changes):
    out = copy.deepcopy(document)
    out.update(changes)
    return out


def section(document, section_id, body):
    out = copy.deepcopy(document)
    next(s for s in out["sections"] if s["id"] == section_id)["body"] = body
    return out


def test_changes_to_different_sections_merge():
    base = doc()
    mine, theirs = section(base, 2, "Mine."), section(base, 1, "Theirs.")
    merged, conflicts = merge(base, mine, theirs)
    assert conflicts == []
    assert [s["body"] for s in merged["sections"]] == ["Theirs.", "Mine."]


def test_same_field_changed_differently_is_a_conflict_holding_my_value():
    base = doc()
    merged, conflicts = merge(base, edited(base, title="Mine"), edited(base, title="Theirs"))
    assert [(c.key, c.base, c.mine, c.theirs) for c in conflicts] == [("title", "Checkout timeouts", "Mine", "Theirs")]
    assert merged["title"] == "Mine"


def test_same_change_on_both_sides_is_no_conflict():
    base = doc()
    merged, conflicts = merge(base, section(base, 1, "Same."), section(base, 1, "Same."))
    assert conflicts == [] and merged["sections"][0]["body"] == "Same."


def test_fields_within_one_row_merge():
    base = doc()
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["timeline"][0]["description"] = "Pager fired for checkout latency."
    theirs["timeline"][0]["kind"] = "escalation"
    merged, conflicts = merge(base, mine, theirs)
    assert conflicts == []
    assert merged["timeline"][0] == {**base["timeline"][0], "kind": "escalation",
                                     "description": "Pager fired for checkout latency."}


def test_same_field_of_a_row_is_a_conflict_keyed_by_row():
    base = doc()
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["action_items"][0]["status"] = "done"
    theirs["action_items"][0]["status"] = "wont_do"
    _, conflicts = merge(base, mine, theirs)
    assert [c.key for c in conflicts] == ["action_items:30:status"]
    assert conflicts[0].kind == "field" and conflicts[0].row_id == 30 and conflicts[0].field == "status"


def test_row_removed_on_one_side_and_changed_on_the_other_is_a_conflict():
    base = doc()
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    del mine["timeline"][0]
    theirs["timeline"][0]["description"] = "Pager fired twice."
    merged, conflicts = merge(base, mine, theirs)
    assert [(c.key, c.mine, c.kind) for c in conflicts] == [("timeline:10", None, "row")]
    assert merged["timeline"][0]["description"] == "Pager fired twice."  # shown, to be decided

    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["timeline"][0]["description"] = "Pager fired twice."
    del theirs["timeline"][0]
    merged, conflicts = merge(base, mine, theirs)
    assert [(c.key, c.theirs) for c in conflicts] == [("timeline:10", None)]
    assert any(r["description"] == "Pager fired twice." for r in merged["timeline"])


def test_row_removed_on_one_side_and_untouched_on_the_other_is_removed():
    base = doc()
    theirs = copy.deepcopy(base)
    del theirs["factors"][0]
    merged, conflicts = merge(base, base, theirs)
    assert conflicts == [] and merged["factors"] == []
    merged, conflicts = merge(base, theirs, base)
    assert conflicts == [] and merged["factors"] == []


def test_new_rows_on_both_sides_are_kept():
    base = doc()
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["factors"].append({"id": None, "category": "Capacity", "description": "Mine."})
    theirs["factors"].append({"id": 21, "category": "Tooling", "description": "Theirs."})
    merged, conflicts = merge(base, mine, theirs)
    assert conflicts == []
    assert [(f["id"], f["description"]) for f in merged["factors"]] == [
        (20, "A config change."), (21, "Theirs."), (None, "Mine.")]


def test_sets_merge_element_by_element():
    base = doc(tags=["checkout", "redis"])
    merged, conflicts = merge(base, edited(base, tags=["checkout", "redis", "cache"]),
                              edited(base, tags=["checkout"]))
    assert conflicts == [] and merged["tags"] == ["cache", "checkout"]


def test_base_without_row_ids_merges_collections_whole():
    old = doc()
    for row in old["timeline"]:
        del row["id"]
    # Old snapshots had fewer action-item fields: the fields they lack are not compared.
    old["action_items"] = [{"title": "Alert on hit ratio", "status": "open", "owner": "arthur",
                            "due_date": "2024-04-01", "priority": "high"}]
    current = doc()
    mine = copy.deepcopy(current)
    mine["timeline"][1]["description"] = "Rolled back the deploy."
    merged, conflicts = merge(old, mine, current)
    assert conflicts == [] and merged["timeline"][1]["description"] == "Rolled back the deploy."
    assert merged["action_items"] == current["action_items"]

    theirs = copy.deepcopy(current)
    theirs["timeline"][0]["description"] = "Pager fired (theirs)."
    merged, conflicts = merge(old, mine, theirs)
    assert [c.key for c in conflicts] == ["timeline"] and conflicts[0].kind == "collection"


def test_untouched_fields_the_browser_cannot_send_back_exactly_are_no_change():
    base = doc(started_at="2024-03-01T14:00:31+00:00")
    base["sections"][0]["body"] = "Line one.\nLine two.\n"
    mine = copy.deepcopy(base)
    mine["started_at"] = "2024-03-01T14:00:00+00:00"  # a datetime-local field has no seconds
    mine["sections"][0]["body"] = "Line one.\r\nLine two."
    assert same(align(mine, base), base)
    merged, conflicts = merge(base, mine, base)
    assert conflicts == [] and same(merged, base)


def test_resolve_keep_theirs_takes_the_value_the_conflict_was_shown_against():
    base = doc()
    mine = edited(base, title="Mine", summary="My summary.")
    resolved = resolve(mine, base, {"title": "theirs", "summary": "mine"})
    assert resolved["title"] == "Checkout timeouts" and resolved["summary"] == "My summary."


def test_resolve_rows():
    base = doc()
    # They removed event 11 that I changed: "theirs" removes it, "mine" keeps my row.
    theirs_removed = copy.deepcopy(base)
    del theirs_removed["timeline"][1]
    mine = copy.deepcopy(base)
    mine["timeline"][1]["description"] = "Rolled back the deploy."
    assert [r["id"] for r in resolve(mine, theirs_removed, {"timeline:11": "theirs"})["timeline"]] == [10]
    kept = resolve(mine, theirs_removed, {"timeline:11": "mine"})
    merged, conflicts = merge(theirs_removed, kept, theirs_removed)
    assert conflicts == [] and merged["timeline"][1] == {**mine["timeline"][1], "id": None}
    # I removed event 10 that they changed: the form showed their row; "mine" removes it again.
    shown = copy.deepcopy(base)
    assert [r["id"] for r in resolve(shown, base, {"timeline:10": "mine"})["timeline"]] == [11]
    assert [r["id"] for r in resolve(shown, base, {"timeline:10": "theirs"})["timeline"]] == [10, 11]


def test_new_row_ids_are_negative_and_unused():
    base = doc()
    base["timeline"].append({"id": -1, "when": None, "kind": "action", "description": "x", "evidence_url": ""})
    assert new_row_id(base) == -2
    assert new_row_id(empty()) == -1


def test_normalized_fills_missing_keys():
    assert normalized({"title": "x"})["sections"] == [] and normalized({})["started_at"] is None


def test_a_section_left_out_is_unchanged_not_removed():
    base = doc()
    mine = copy.deepcopy(base)
    mine["sections"] = [{"id": 2, "heading": "Impact", "body": "Two, rewritten."}]
    merged, conflicts = merge(base, mine, base)
    assert conflicts == []
    assert [(s["id"], s["body"]) for s in merged["sections"]] == [(1, "One."), (2, "Two, rewritten.")]


def _factors(*pairs):
    return [{"id": row_id, "category": "Change", "description": text} for row_id, text in pairs]


def test_rows_moved_in_the_editor_keep_my_order_when_theirs_is_unchanged():
    base = doc(factors=_factors((20, "A"), (21, "B"), (22, "C")))
    mine = edited(base, factors=_factors((22, "C"), (20, "A"), (21, "B changed")))
    theirs = edited(base, title="Their new title")
    merged, conflicts = merge(base, mine, theirs)
    assert conflicts == []
    assert [(r["id"], r["description"]) for r in merged["factors"]] == [(22, "C"), (20, "A"), (21, "B changed")]
    assert merged["title"] == "Their new title"


def test_when_both_sides_reorder_rows_their_saved_order_stands():
    base = doc(factors=_factors((20, "A"), (21, "B"), (22, "C")))
    mine = edited(base, factors=_factors((22, "C"), (20, "A"), (21, "B")))
    theirs = edited(base, factors=_factors((21, "B"), (20, "A"), (22, "C")))
    merged, _ = merge(base, mine, theirs)
    assert [r["id"] for r in merged["factors"]] == [21, 20, 22]
# --- layout documents (the admin's) --------------------------------------------------------------

def laid_out(**fields):
    out = doc(facilitator="fran", **fields)
    for position, row in enumerate(out["sections"], start=1):
        row.update(kind="narrative", guidance="", required=False, position=position)
    return out


def test_a_layout_merge_removes_the_sections_the_document_leaves_out():
    base = laid_out()
    mine = edited(base, sections=[base["sections"][0]])
    merged, conflicts = merge(base, mine, base, layout=True)
    assert not conflicts and [s["id"] for s in merged["sections"]] == [1]
    merged, _ = merge(base, mine, base)  # without layout, the left-out section stays
    assert [s["id"] for s in merged["sections"]] == [1, 2]


def test_a_layout_merge_keeps_a_layout_change_and_their_text_change_against_a_snapshot_without_layout():
    snapshot = doc()  # revision snapshots never carry the layout
    theirs = laid_out(summary="Their summary.")
    mine = copy.deepcopy(laid_out())
    mine["sections"][1].update(kind="impact", required=True)
    mine["facilitator"] = "gale"
    merged, conflicts = merge(snapshot, mine, theirs, layout=True)
    assert not conflicts
    assert (merged["summary"], merged["facilitator"]) == ("Their summary.", "gale")
    assert (merged["sections"][1]["kind"], merged["sections"][1]["required"]) == ("impact", True)


def test_layout_changes_count_only_in_a_layout_comparison():
    before = laid_out()
    after = copy.deepcopy(before)
    after["sections"][0]["guidance"] = "Say what readers saw."
    assert same(before, after) and not same(before, after, layout=True)
    assert normalized(doc(), layout=True)["facilitator"] is None


def test_replacing_keeps_browser_rounding_drops_unknown_ids_and_keeps_left_out_sections_without_layout():
    current = doc()
    mine = edited(current, started_at="2024-03-01T14:00", sections=[{"id": 1, "heading": "Summary", "body": "New"}],
                  timeline=[*current["timeline"], {"id": 999, "when": None, "kind": "action", "description": "x",
                                                    "evidence_url": ""}])
    out = replacing(mine, current)
    assert out["started_at"] == current["started_at"]
    assert [s["id"] for s in out["sections"]] == [1, 2]
    assert [e["id"] for e in out["timeline"]] == [10, 11, None]
    assert [s["id"] for s in replacing(laid_out(sections=mine["sections"]), laid_out(), layout=True)["sections"]] == [1]
