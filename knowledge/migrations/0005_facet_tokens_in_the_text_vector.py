from django.db import migrations

# PostgreSQL: with text and facet tokens in two GIN indexes, the planner picks one index and checks
# the other condition row by row, which reads (and decompresses) a vector per matching row. The
# facet tokens now join the text vector as lexemes prefixed with "~", which no search word can
# produce, so one GIN index answers text, visibility and filters together.

HEAD = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, summary), 'B')"
)
FACETS = "array_to_tsvector(string_to_array('~' || replace(facets, ' ', ' ~'), ' '))"
FORWARD = [
    "DROP INDEX IF EXISTS search_facets_gin",
    "DROP INDEX IF EXISTS search_vector_gin",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS facet_vector, DROP COLUMN IF EXISTS vector",
    f"""ALTER TABLE knowledge_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        {HEAD} || setweight(to_tsvector('english'::regconfig, body), 'C') || {FACETS}) STORED""",
    "CREATE INDEX search_vector_gin ON knowledge_searchdocument USING gin (vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_vector_gin",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS vector",
    f"""ALTER TABLE knowledge_searchdocument
        ADD COLUMN vector tsvector GENERATED ALWAYS AS (
            {HEAD} || setweight(to_tsvector('english'::regconfig, body), 'C')) STORED,
        ADD COLUMN facet_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, facets)) STORED""",
    "ALTER TABLE knowledge_searchdocument ALTER COLUMN facet_vector SET STORAGE MAIN",
    "CREATE INDEX search_vector_gin ON knowledge_searchdocument USING gin (vector)",
    "CREATE INDEX search_facets_gin ON knowledge_searchdocument USING gin (facet_vector)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0004_keep_facet_vector_inline"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
