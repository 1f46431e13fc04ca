from django.db import migrations, models

# Tag names (services, failure modes, themes), team names and factor category names become
# searchable words in a new `keywords` column, weighted like the title: PostgreSQL's text vector
# gets them at weight A; SQLite's FTS5 table gets a fifth column (bm25 weight as the title) and a
# prefix index for three-letter prefixes (the last word of a query matches as a prefix).
# On SQLite, adding the column rebuilds knowledge_searchdocument and drops its triggers, so the
# FTS5 table and its triggers are dropped first and created again at the end.

PG_TEXT = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, summary), 'B') || "
    "setweight(to_tsvector('english'::regconfig, body), 'C') || "
    "array_to_tsvector(string_to_array('~' || replace(facets, ' ', ' ~'), ' '))"
)
PG_KEYWORDS = "setweight(to_tsvector('english'::regconfig, keywords), 'A')"
PG_DROP = [
    "DROP INDEX IF EXISTS search_vector_gin",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS vector",
]


def _pg_create(text: str) -> list[str]:
    return [
        f"ALTER TABLE knowledge_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS ({text}) STORED",
        "CREATE INDEX search_vector_gin ON knowledge_searchdocument USING gin (vector)",
    ]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_search_fts_au",
    "DROP TRIGGER IF EXISTS knowledge_search_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_search_fts_ai",
    "DROP TABLE IF EXISTS knowledge_search_fts",
]


def _sqlite_create(columns: list[str], options: str) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"""CREATE VIRTUAL TABLE knowledge_search_fts USING fts5(
            {names},
            content='knowledge_searchdocument', content_rowid='postmortem_id',
            tokenize='porter unicode61 remove_diacritics 2'{options})""",
        f"""CREATE TRIGGER knowledge_search_fts_ai AFTER INSERT ON knowledge_searchdocument BEGIN
            INSERT INTO knowledge_search_fts(rowid, {names}) VALUES (new.postmortem_id, {new});
        END""",
        f"""CREATE TRIGGER knowledge_search_fts_ad AFTER DELETE ON knowledge_searchdocument BEGIN
            INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, {names})
            VALUES ('delete', old.postmortem_id, {old});
        END""",
        f"""CREATE TRIGGER knowledge_search_fts_au AFTER UPDATE ON knowledge_searchdocument BEGIN
            INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, {names})
            VALUES ('delete', old.postmortem_id, {old});
            INSERT INTO knowledge_search_fts(rowid, {names}) VALUES (new.postmortem_id, {new});
        END""",
        "INSERT INTO knowledge_search_fts(knowledge_search_fts) VALUES ('rebuild')",
    ]


OLD_COLUMNS = ["title", "summary", "body", "facets"]
NEW_COLUMNS = [*OLD_COLUMNS, "keywords"]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def drop_structures(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_DROP, "sqlite": SQLITE_DROP})


def create_new_structures(apps, schema_editor):
    _run(schema_editor, {"postgresql": _pg_create(f"{PG_TEXT} || {PG_KEYWORDS}"),
                         "sqlite": _sqlite_create(NEW_COLUMNS, ", prefix='3'")})


def create_old_structures(apps, schema_editor):
    _run(schema_editor, {"postgresql": _pg_create(PG_TEXT), "sqlite": _sqlite_create(OLD_COLUMNS, "")})


def fill_keywords(apps, schema_editor):
    """Write the keywords of every indexed post-mortem (same text as knowledge.search.documents)."""
    SearchDocument = apps.get_model("knowledge", "SearchDocument")
    PostMortem = apps.get_model("postmortems", "PostMortem")
    ContributingFactor = apps.get_model("postmortems", "ContributingFactor")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    names: dict[int, list[str]] = {}
    tagged = TaggedItem.objects.filter(content_type__app_label="postmortems", content_type__model="postmortem")
    for pm_id, name in tagged.order_by("tag__name").values_list("object_id", "tag__name"):
        names.setdefault(pm_id, []).append(name)
    for pm_id, name in PostMortem.teams.through.objects.order_by("team__name").values_list("postmortem_id",
                                                                                          "team__name"):
        names.setdefault(pm_id, []).append(name)
    for pm_id, name in ContributingFactor.objects.order_by("category__name").values_list("postmortem_id",
                                                                                        "category__name"):
        if name not in names.setdefault(pm_id, []):
            names[pm_id].append(name)
    for pm_id in SearchDocument.objects.values_list("pk", flat=True).iterator():
        if names.get(pm_id):
            SearchDocument.objects.filter(pk=pm_id).update(keywords=" · ".join(names[pm_id]))


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0007_store_rendered_markdown"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.RunPython(drop_structures, create_old_structures),
        migrations.AddField(
            model_name="searchdocument",
            name="keywords",
            field=models.TextField(blank=True, default="",
                                   help_text="Tag, team and factor category names: searched and weighted like the title."),
        ),
        migrations.RunPython(fill_keywords, migrations.RunPython.noop),
        migrations.RunPython(create_new_structures, drop_structures),
    ]
