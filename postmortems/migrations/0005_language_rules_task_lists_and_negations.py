"""Tune four shipped language rules; rules a facilitator has already edited are left alone.

- vague-investigate, vague-improve: also recognise Markdown task-list items ("- [ ] Investigate ...").
- should-have: "would have made the same call" is a blameless statement, not a counterfactual.
- blame: "should not be blamed", "nobody was blamed" are not blame.
"""

import importlib

from django.db import migrations

SHIPPED = {r["slug"]: r["pattern"] for r in importlib.import_module(
    "postmortems.migrations.0004_ship_language_rules").RULES}

ITEM_START_OLD = r"^[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+|\[[ xX]\][ \t]+)?"
ITEM_START = r"^[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+)?(?:\[[ xX]\][ \t]+)?"
SHOULD_HAVE_OLD = r"\b(?!\s+to\b)"
SHOULD_HAVE = r"\b(?!\s+to\b|\s+(?:done|made|chosen|taken|decided|said)\s+(?:the\s+)?same\b)"
BLAME_OLD = r"(?<!\bnot\sto\s)\bblam"
BLAME = r"(?<!\bnot\sto\s)(?<!\bnot\sbe\s)(?<!n['’]t\sbe\s)(?<!\bnobody\swas\s)(?<!\bno\sone\swas\s)\bblam"


def tuned(slug: str) -> str:
    pattern = SHIPPED[slug]
    if slug in ("vague-investigate", "vague-improve"):
        return pattern.replace(ITEM_START_OLD, ITEM_START, 1)
    if slug == "should-have":
        return pattern.replace(SHOULD_HAVE_OLD, SHOULD_HAVE, 1)
    return pattern.replace(BLAME_OLD, BLAME, 1)


SLUGS = ("vague-investigate", "vague-improve", "should-have", "blame")


def forwards(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    for slug in SLUGS:
        assert tuned(slug) != SHIPPED[slug], slug
        LanguageRule.objects.filter(slug=slug, pattern=SHIPPED[slug]).update(pattern=tuned(slug))


def backwards(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    for slug in SLUGS:
        LanguageRule.objects.filter(slug=slug, pattern=tuned(slug)).update(pattern=SHIPPED[slug])


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0004_ship_language_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
