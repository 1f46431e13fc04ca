"""The post-mortem change form and its inline rows, read as one layout document (postmortems/documents.py).

The admin saves a post-mortem by handing this document to postmortems.services, like the editor hands
its own: so the desk has no write path of its own. Only valid forms reach here (Django validated the
form and every inline formset first).
"""

from datetime import UTC

from postmortems import documents
from postmortems.models import ActionItem, ContributingFactor, Section, TimelineEvent

LAST = float("inf")  # a new row (no id yet) sorts after stored rows at the same position


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _kept_forms(formset):
    """Yield the forms whose rows the post-mortem keeps: stored rows not marked for deletion, and new
    rows something was typed into (Django skips an untouched extra form too)."""
    for form in formset.forms:
        if formset.can_delete and form.cleaned_data.get("DELETE"):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        yield form


def _section(form) -> dict:
    c = form.cleaned_data
    return {"id": form.instance.pk, "heading": c["heading"], "body": c["body"], "kind": c["kind"],
            "guidance": c["guidance"], "required": c["required"], "position": c["position"]}


def _event(form) -> dict:
    c = form.cleaned_data
    return {"id": form.instance.pk, "when": _iso(c["occurred_at"]), "kind": c["kind"],
            "description": c["description"], "evidence_url": c["evidence_url"]}


def _factor(form) -> dict:
    c = form.cleaned_data
    return {"id": form.instance.pk, "category": c["category"].name, "description": c["description"]}


def _action_item(form) -> dict:
    c = form.cleaned_data
    return {
        "id": form.instance.pk, "title": c["title"], "description": c["description"], "kind": c["kind"],
        "priority": c["priority"], "owner": c["owner"].username if c["owner"] else None,
        "due_date": c["due_date"].isoformat() if c["due_date"] else None, "status": c["status"],
        "wont_do_reason": c["wont_do_reason"], "tracker_url": c["tracker_url"],
    }


def _ordered(forms, key: str) -> list:
    """Return `forms` in the order readers see their rows: by position, then stored rows by id."""
    return sorted(forms, key=lambda f: (f.cleaned_data.get(key) or 0, f.instance.pk or LAST))


def form_document(form, formsets, *, stored: dict | None) -> dict:
    """Return the layout document the change form (`form`, its inline `formsets`) says the post-mortem
    holds. `stored` is the stored document (None on the add form): the parts of it that no form on
    the page edits are kept as they are."""
    c = form.cleaned_data
    doc = dict(stored) if stored is not None else documents.empty(layout=True)
    doc.update(
        title=c["title"], summary=c["summary"], severity=c["severity"],
        teams=[team.name for team in c["teams"]],
        tags=[getattr(tag, "name", tag) for tag in c["tags"]],
        authors=[user.username for user in c["authors"]],
        facilitator=c["facilitator"].username if c["facilitator"] else None,
        **{key: _iso(c[key]) for key in documents.TIME_FIELDS},
    )
    for formset in formsets:
        kept = list(_kept_forms(formset))
        if formset.model is Section:
            doc["sections"] = [_section(f) for f in _ordered(kept, "position")]
        elif formset.model is TimelineEvent:
            doc["timeline"] = [_event(f) for f in kept]
        elif formset.model is ContributingFactor:
            doc["factors"] = [_factor(f) for f in _ordered(kept, "position")]
        elif formset.model is ActionItem:
            doc["action_items"] = [_action_item(f) for f in kept]
    return doc


def note_saved_rows(formsets) -> None:
    """Give each formset the lists Django's change message reads (a formset's own save() sets them)."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for f in formset.forms:
            if f.instance.pk is None:
                if f.has_changed() and not (formset.can_delete and f.cleaned_data.get("DELETE")):
                    formset.new_objects.append(f.instance)
            elif formset.can_delete and f.cleaned_data.get("DELETE"):
                formset.deleted_objects.append(f.instance)
            elif f.has_changed():
                formset.changed_objects.append((f.instance, f.changed_data))
