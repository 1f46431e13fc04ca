"""Stored links are web links only: tracker and evidence links that are not http(s) are removed.

A removed link stays readable as plain text: a line "Tracker link removed (not http/https): …" is
appended to the action item's description ("Evidence link removed …" to the timeline event's).
The reverse puts such links back from those lines.
"""

import re

import postmortems.weblinks
from django.db import migrations

# Frozen here on purpose (a migration must not change when the app's code does); the same rule as
# postmortems.weblinks.web_url: a browser trims C0 controls and spaces, then it must be http(s).
TRIM = "".join(chr(c) for c in range(0x21))
WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
FIELDS = [
    # (model, URL field, text field the removed link is kept in, label)
    ("ActionItem", "tracker_url", "description", "Tracker"),
    ("TimelineEvent", "evidence_url", "description", "Evidence"),
]


def note(label, value):
    return f"{label} link removed (not http/https): {value}"


def clear_unsafe_links(apps, schema_editor):
    for model_name, url_field, text_field, label in FIELDS:
        model = apps.get_model("postmortems", model_name)
        rows = model.objects.exclude(**{url_field: ""}).only("pk", url_field, text_field)
        for row in rows.iterator(chunk_size=2000):
            value = getattr(row, url_field)
            trimmed = value.strip(TRIM)
            if WEB_URL.fullmatch(trimmed):
                if trimmed != value:
                    setattr(row, url_field, trimmed)
                    row.save(update_fields=[url_field])
                continue
            text = getattr(row, text_field).rstrip()
            setattr(row, text_field, f"{text}\n\n{note(label, value)}" if text else note(label, value))
            setattr(row, url_field, "")
            row.save(update_fields=[url_field, text_field])


def restore_unsafe_links(apps, schema_editor):
    for model_name, url_field, text_field, label in FIELDS:
        model = apps.get_model("postmortems", model_name)
        marker = note(label, "")
        rows = model.objects.filter(**{url_field: "", f"{text_field}__contains": marker})
        for row in rows.only("pk", url_field, text_field).iterator(chunk_size=2000):
            text = getattr(row, text_field)
            before, _, value = text.rpartition(marker)
            if "\n" in value:  # the note is not the text's last line: someone wrote after it; leave it
                continue
            setattr(row, url_field, value[:500])
            setattr(row, text_field, before.rstrip())
            row.save(update_fields=[url_field, text_field])


class Migration(migrations.Migration):

    dependencies = [
        ('postmortems', '0008_bound_incident_times'),
    ]

    operations = [
        migrations.AlterField(
            model_name='actionitem',
            name='tracker_url',
            field=postmortems.weblinks.WebURLField(blank=True, max_length=500, verbose_name='tracker link'),
        ),
        migrations.AlterField(
            model_name='timelineevent',
            name='evidence_url',
            field=postmortems.weblinks.WebURLField(blank=True, max_length=500, verbose_name='evidence link'),
        ),
        migrations.RunPython(clear_unsafe_links, restore_unsafe_links),
    ]
