from django.db import migrations

# PostgreSQL: the facet tokens are checked for every matching row, so their vector stays in the
# heap row (STORAGE MAIN) while long text and the text vectors move out of line. Rows written
# before this change keep their old layout until they are indexed again (rebuild_search_index).


def inline_facets(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_searchdocument ALTER COLUMN facet_vector SET STORAGE MAIN")
        schema_editor.execute("ALTER TABLE knowledge_searchdocument ALTER COLUMN facets SET STORAGE MAIN")


def default_storage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_searchdocument ALTER COLUMN facet_vector SET STORAGE EXTENDED")
        schema_editor.execute("ALTER TABLE knowledge_searchdocument ALTER COLUMN facets SET STORAGE EXTENDED")


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0003_narrow_facts_and_facet_tokens"),
    ]

    operations = [
        migrations.RunPython(inline_facets, default_storage),
    ]
