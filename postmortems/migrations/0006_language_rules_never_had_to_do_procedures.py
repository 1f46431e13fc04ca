"""More phrasings for the shipped language rules; rules a facilitator has already edited are left alone.

- should-have, should-have-known, could-have-been-avoided: "should never have".
- had-they-only: "if the reviewer had actually read".  did-not-bother: "never bothered to".
- person-responsible: "should be held accountable".
- New: all-they-had-to-do ("All they had to do was..."), did-not-follow ("the engineer did not follow the process").
"""

import importlib

from django.db import migrations

_0004 = importlib.import_module("postmortems.migrations.0004_ship_language_rules")
_0005 = importlib.import_module("postmortems.migrations.0005_language_rules_task_lists_and_negations")
STORY = _0004.STORY
WRITING = _0004.WRITING


def current(slug: str) -> str:
    """The pattern as 0004 and 0005 ship it."""
    return _0005.tuned(slug) if slug in _0005.SLUGS else {r["slug"]: r["pattern"] for r in _0004.RULES}[slug]


def _modal(pattern: str) -> str:
    return pattern.replace("(?:n['’]t|\\s+not)?(?:['’]ve", "(?:n['’]t|\\s+not|\\s+never)?(?:['’]ve", 1)


CHANGES = {
    "should-have": _modal,
    "should-have-known": _modal,
    "could-have-been-avoided": _modal,
    "had-they-only": lambda p: p.replace("(?:only\\s+|just\\s+)?", "(?:only\\s+|just\\s+|\\w+ly\\s+)?", 1),
    "did-not-bother": lambda p: p.replace("(?:bother|be\\s+bothered)\\b", "(?:bother(?:ed)?|be\\s+bothered)\\b", 1),
    "person-responsible": lambda p: p + r"|\bheld\s+(?:personally\s+)?(?:accountable|responsible)\b",
}

NEW_RULES = [
    dict(
        slug="all-they-had-to-do",
        category="minimising",
        section_kinds=WRITING,
        pattern=r"\ball\s+(?:they|he|she|you|we|someone|somebody|anyone|the\s+[\w-]+(?:\s+[\w-]+)?)\s+"
        r"(?:had|needed|would\s+have\s+had)\s+to\s+do\s+was\b",
        message="“All they had to do was...” makes the step sound trivial and the people who missed it careless.",
        suggestion="Describe the step and what made it hard to see or easy to skip at the time.",
    ),
    dict(
        slug="did-not-follow",
        category="counterfactual",
        section_kinds=STORY,
        pattern=r"{person}\s+(?:\w+ly\s+)?(?:did\s+not|didn['’]t|never)\s+(?:even\s+)?(?:follow|read)\s+the\s+"
        r"(?:runbook|process|procedure|checklist|playbook|instructions|docs|documentation)s?\b",
        message="“Did not follow the process” compares people with an ideal procedure instead of with how the "
        "work is really done.",
        suggestion="Describe what the person did instead and why it made sense: was the procedure known, "
        "findable, and workable at that moment?",
    ),
]


def forwards(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    for slug, change in CHANGES.items():
        old = current(slug)
        assert change(old) != old, slug
        LanguageRule.objects.filter(slug=slug, pattern=old).update(pattern=change(old))
    for rule in NEW_RULES:
        LanguageRule.objects.get_or_create(
            slug=rule["slug"],
            defaults={
                "pattern": rule["pattern"], "is_regex": True, "category": rule["category"],
                "message": rule["message"], "suggestion": rule["suggestion"],
                "section_kinds": list(rule["section_kinds"]), "enabled": True,
            },
        )


def backwards(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    for slug, change in CHANGES.items():
        LanguageRule.objects.filter(slug=slug, pattern=change(current(slug))).update(pattern=current(slug))
    LanguageRule.objects.filter(slug__in=[r["slug"] for r in NEW_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0005_language_rules_task_lists_and_negations")]

    operations = [migrations.RunPython(forwards, backwards)]
