from django.contrib.auth.management import create_permissions
from django.db import migrations

READER_PERMS = [
    "postmortems.view_postmortem",
    "postmortems.view_actionitem",
    "knowledge.view_readinglist",
    "knowledge.add_readmark",
    "knowledge.delete_readmark",
]
AUTHOR_PERMS = READER_PERMS + [
    "postmortems.add_postmortem",
    "postmortems.change_postmortem",
    "postmortems.add_section",
    "postmortems.change_section",
    "postmortems.add_timelineevent",
    "postmortems.change_timelineevent",
    "postmortems.delete_timelineevent",
    "postmortems.add_contributingfactor",
    "postmortems.change_contributingfactor",
    "postmortems.delete_contributingfactor",
    "postmortems.add_actionitem",
    "postmortems.change_actionitem",
    "postmortems.delete_actionitem",
    "postmortems.add_findingdismissal",
    "knowledge.add_relatedlink",
    "knowledge.change_relatedlink",
    "knowledge.delete_relatedlink",
    "taggit.add_tag",
]
FACILITATOR_APPS = ["postmortems", "knowledge", "taggit"]
FACILITATOR_EXTRA = ["auth.view_user", "auth.view_group"]


def _perms(Permission, names):
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    readers, _ = Group.objects.get_or_create(name="Readers")
    readers.permissions.set(_perms(Permission, READER_PERMS))
    authors, _ = Group.objects.get_or_create(name="Authors")
    authors.permissions.set(_perms(Permission, AUTHOR_PERMS))
    facilitators, _ = Group.objects.get_or_create(name="Facilitators")
    everything = list(Permission.objects.filter(content_type__app_label__in=FACILITATOR_APPS))
    facilitators.permissions.set(everything + _perms(Permission, FACILITATOR_EXTRA))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Readers", "Authors", "Facilitators"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0001_initial_models"),
        ("knowledge", "0001_library_models"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
