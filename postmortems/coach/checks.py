"""The coach on the stored post-mortem: rules from the database, users' names, stored findings.

Django glue around the pure engine (postmortems/coach/engine.py): it reads `LanguageRule` rows,
the texts of a post-mortem (or of an editor document), the names of Hindsight users, and keeps
`LanguageFinding` rows current. Services and views call it; it calls neither.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.db.models import Q

from postmortems.coach import structure
from postmortems.coach.engine import (
    MAX_FINDING_TEXT,
    STRUCTURAL_RULES,
    ActionFacts,
    Finding,
    check_action_items,
    mask,
    pattern_spans,
)
from postmortems.coach.engine import check_texts as engine_check_texts
from postmortems.coach.patterns import _RULES_FIELDS, CompiledRule, compile_rules
from postmortems.coach.people import CAPITALISED_WORD_RE, HANDLE_RE, _is_name_shaped
from postmortems.models import ActionStatus, LanguageFinding, LanguageRule

_rules_cache: dict = {"current": (None, [])}  # one tuple, swapped whole, so threads never see half an update


def load_rules() -> list[CompiledRule]:
    """Return the enabled rules, compiled; recompiled only when the rules in the database change.

    One query per call: the rows are read and fingerprinted, so an edit in the admin (or in a
    migration, or in another process) takes effect on the next check.
    """
    rows = list(LanguageRule.objects.filter(enabled=True).order_by("slug").values_list(*_RULES_FIELDS))
    fingerprint = hashlib.blake2b(repr(rows).encode(), digest_size=16).digest()
    cached_fingerprint, rules = _rules_cache["current"]
    if fingerprint != cached_fingerprint:
        rules = compile_rules(dict(zip(_RULES_FIELDS, row, strict=True)) for row in rows)
        _rules_cache["current"] = (fingerprint, rules)
    return rules


def active_rules() -> list[CompiledRule]:
    """Return the enabled rule rows and, after them, the built-in sentence-structure rules
    (postmortems/coach/structure.py). With no rule row enabled the coach is switched off."""
    rules = load_rules()
    return rules + list(structure.RULES) if rules else rules


def check_texts(texts: Sequence[tuple[str, str, str]], *, names: Iterable[str] = (),
                rules: Sequence[CompiledRule] | None = None) -> list[Finding]:
    """Return the findings of `rules` (default: the enabled rule rows) in `texts` (see engine.check_texts)."""
    return engine_check_texts(texts, rules=load_rules() if rules is None else rules, names=names)


def check_writing(texts: Sequence[tuple[str, str, str]], *, names: Iterable[str] = ()) -> list[Finding]:
    """Return every language finding in `texts`: the rule rows' and the sentence-structure rules'.

    What the editor, the stored findings, `check_language` and `check_text` show.
    """
    return engine_check_texts(texts, rules=active_rules(), names=names)


def check_text(text: str, *, kind: str = "narrative", names: Iterable[str] | None = None) -> list[Finding]:
    """Return the findings in one free text (a review comment, say), with the enabled rules.

    `names` defaults to the names of Hindsight users that the text mentions (one query).
    """
    if not text or not text.strip():
        return []
    names = user_names_in([text]) if names is None else names
    return engine_check_texts([("text", kind, text)], rules=active_rules(), names=names)


def rule_matches(rule, text: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans `rule` (a LanguageRule, saved or not) flags in `text`.

    For the admin's "try it" box: the rule's section kinds are ignored. Raises ValueError when the
    pattern is not a valid regular expression.
    """
    return pattern_spans(rule.pattern, rule.is_regex, text)


def known_rule_slugs() -> set[str]:
    return set(LanguageRule.objects.values_list("slug", flat=True)) | set(STRUCTURAL_RULES) | structure.SLUGS


def open_finding_count(postmortem) -> int:
    """Return how many of the post-mortem's findings are neither fixed nor dismissed with a reason."""
    return LanguageFinding.objects.filter(postmortem=postmortem).open().count()


def action_item_text(item) -> str:
    return f"{item.title}\n{item.description}" if item.description.strip() else item.title


def document_row_text(row: dict) -> str:
    return f"{row['title']}\n{row['description']}" if (row.get("description") or "").strip() else row["title"]


def _section_kinds(postmortem) -> dict:
    return dict(postmortem.sections.values_list("pk", "kind"))


def postmortem_texts(postmortem, *, action_items=None, document=None) -> list[tuple[str, str, str]]:
    """Return (location, kind, text) for every text of `postmortem` the coach reads, in reading order.

    `document` (the editor's document, postmortems/documents.py) is read instead of the stored
    text: a pending amendment's, say. `action_items` saves a query when the caller has them already.
    """
    if document is not None:
        return document_texts(document, _section_kinds(postmortem))
    items = list(postmortem.action_items.all()) if action_items is None else action_items
    texts = [("title", "summary", postmortem.title), ("summary", "summary", postmortem.summary)]
    texts += [(f"section:{s.pk}", s.kind, s.body) for s in postmortem.sections.all()]
    texts += [(f"timeline:{e.pk}", "timeline", e.description) for e in postmortem.timeline_events.all()]
    texts += [(f"factor:{f.pk}", "factor", f.description) for f in postmortem.factors.all()]
    texts += [(f"action:{a.pk}", "action_item", action_item_text(a)) for a in items]
    return [t for t in texts if t[2] and t[2].strip()]


def document_texts(document: dict, section_kinds: dict) -> list[tuple[str, str, str]]:
    """Return (location, kind, text) for every text of an editor document, as `postmortem_texts` does."""
    texts = [("title", "summary", document.get("title", "")), ("summary", "summary", document.get("summary", ""))]
    texts += [(f"section:{s['id']}", section_kinds.get(s["id"], "narrative"), s["body"])
              for s in document.get("sections", [])]
    texts += [(f"timeline:{e['id']}", "timeline", e["description"]) for e in document.get("timeline", [])]
    texts += [(f"factor:{f['id']}", "factor", f["description"]) for f in document.get("factors", [])]
    texts += [(f"action:{a['id']}", "action_item", document_row_text(a)) for a in document.get("action_items", [])]
    return [t for t in texts if t[2] and t[2].strip()]


def postmortem_action_facts(postmortem, *, action_items=None, document=None) -> list[ActionFacts]:
    """Return what the action-item checks need about `postmortem`'s action items (or `document`'s)."""
    open_statuses = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
    if document is not None:
        return [
            ActionFacts(
                location=f"action:{a['id']}",
                text=document_row_text(a),
                priority=a["priority"],
                has_owner=bool(a.get("owner")),
                has_due_date=bool(a.get("due_date")),
                is_open=a["status"] in open_statuses,
            )
            for a in document.get("action_items", [])
        ]
    items = list(postmortem.action_items.all()) if action_items is None else action_items
    return [
        ActionFacts(
            location=f"action:{a.pk}",
            text=action_item_text(a),
            priority=a.priority,
            has_owner=a.owner_id is not None,
            has_due_date=a.due_date is not None,
            is_open=a.status in open_statuses,
        )
        for a in items
    ]


def user_names_in(texts: Iterable[str]) -> set[str]:
    """Return the names of active Hindsight users that appear in `texts` (one query).

    First and last names count when written capitalised, usernames when written as @handles.
    Only the words the texts contain are looked up, so the answer is always current.
    """
    joined = "\n".join(mask(text) for text in texts if text)
    words = {w for w in CAPITALISED_WORD_RE.findall(joined) if w[:1].isupper() and _is_name_shaped(w)}
    handles = {h[1:] for h in HANDLE_RE.findall(joined)} if "@" in joined else set()
    if not words and not handles:
        return set()
    variants = words | {w.lower() for w in words}
    rows = get_user_model().objects.filter(is_active=True).filter(
        Q(first_name__in=variants) | Q(last_name__in=variants) | Q(username__in=handles)
    ).values_list("username", "first_name", "last_name")
    by_lower = defaultdict(set)
    for word in words:
        by_lower[word.lower()].add(word)
    names = set()
    for username, first, last in rows:
        if username in handles:
            names.add("@" + username)
        for value in (first, last):
            names |= by_lower.get(value.strip().lower(), set())
    return names


def check_postmortem(postmortem, *, names: Iterable[str] | None = None, document=None) -> list[Finding]:
    """Return every finding in `postmortem` (or in `document`, its text being amended): language rules
    and the action-item checks."""
    items = list(postmortem.action_items.all()) if document is None else None
    texts = postmortem_texts(postmortem, action_items=items, document=document)
    names = user_names_in(text for _, _, text in texts) if names is None else names
    findings = check_writing(texts, names=names)
    findings += check_action_items(postmortem_action_facts(postmortem, action_items=items, document=document))
    return findings


def finding_key(finding) -> tuple[str, str, str]:
    return (finding.rule_slug, finding.location, finding.text[:MAX_FINDING_TEXT])


def refresh_findings(postmortem, *, document=None) -> None:
    """Recompute `postmortem`'s LanguageFinding rows, keeping the created_at of findings that persist.

    With `document` (a pending amendment's text), the findings are those of that text: it is what
    will be published, so it is what the review and the publishing gate look at.
    Dismissed findings are stored too (the review shows them with their reasons, the trend page
    counts them); whether a finding is open is decided against FindingDismissal when it is read.
    """
    current = check_postmortem(postmortem, document=document)
    existing = defaultdict(list)
    for row in LanguageFinding.objects.filter(postmortem=postmortem).order_by("start", "pk"):
        existing[finding_key(row)].append(row)
    to_create, to_update = [], []
    update_fields = ("category", "start", "end", "message", "suggestion")
    for finding in current:
        rows = existing.get(finding_key(finding))
        if rows:
            row = rows.pop(0)
            values = {f: getattr(finding, f) for f in update_fields}
            if any(getattr(row, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(row, f, v)
                to_update.append(row)
        else:
            to_create.append(
                LanguageFinding(
                    postmortem=postmortem,
                    rule_slug=finding.rule_slug,
                    category=finding.category,
                    location=finding.location,
                    text=finding.text[:MAX_FINDING_TEXT],
                    start=finding.start,
                    end=finding.end,
                    message=finding.message,
                    suggestion=finding.suggestion,
                )
            )
    stale = [row.pk for rows in existing.values() for row in rows]
    if stale:
        LanguageFinding.objects.filter(pk__in=stale).delete()
    if to_update:
        LanguageFinding.objects.bulk_update(to_update, update_fields)
    if to_create:
        LanguageFinding.objects.bulk_create(to_create)

