"""Record each image dropped into the editor (Upload), so that media are served only to people who may
see the post-mortem an image belongs to.

Images stored before this have no record. Those that a post-mortem's text shows (sections, summary,
timeline, contributing factors, action items) are recorded here as belonging to the oldest post-mortem
that shows them, so readers keep seeing the images of the write-ups they may read. Any other old file
is served to facilitators only (postmortems.access.get_upload_for). Only names with an image extension
are recorded; anything else stored before uploads were checked (.html, .svg …) is never served.
"""

import re

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# Frozen copy of postmortems.uploads.STORED_NAME, after the media URL.
REFERENCE = re.compile(r"/media/(uploads(?:/[\w%-]+)+\.(?:png|jpe?g|gif|webp))(?![\w.%-])", re.ASCII | re.IGNORECASE)
TEXTS = [
    # (model, text field, how to reach the post-mortem's id)
    ("Section", "body", "postmortem_id"),
    ("PostMortem", "summary", "pk"),
    ("TimelineEvent", "description", "postmortem_id"),
    ("ContributingFactor", "description", "postmortem_id"),
    ("ActionItem", "description", "postmortem_id"),
]


def record_shown_images(apps, schema_editor):
    Upload = apps.get_model("postmortems", "Upload")
    owner = {}  # path -> id of the oldest post-mortem whose text shows it
    for model_name, field, postmortem_of in TEXTS:
        model = apps.get_model("postmortems", model_name)
        rows = model.objects.filter(**{f"{field}__contains": "/media/uploads/"}).values_list(postmortem_of, field)
        for postmortem_id, text in rows.iterator(chunk_size=2000):
            for path in REFERENCE.findall(text):
                owner[path] = min(owner.get(path, postmortem_id), postmortem_id)
    Upload.objects.bulk_create(
        [Upload(path=path, postmortem_id=postmortem_id) for path, postmortem_id in sorted(owner.items())],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('postmortems', '0009_web_links_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Upload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('path', models.CharField(help_text='Where the file is, under MEDIA_ROOT.', max_length=255, unique=True)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('postmortem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='postmortems.postmortem')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['postmortem', 'uploaded_at', 'id'],
            },
        ),
        migrations.RunPython(record_shown_images, migrations.RunPython.noop),
    ]
