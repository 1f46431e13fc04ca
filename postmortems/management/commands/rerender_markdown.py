"""manage.py rerender_markdown: store freshly rendered HTML for every Markdown field (after a renderer change)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from postmortems.rendered import RendersMarkdown, rerender


class Command(BaseCommand):
    help = ("Re-render every stored Markdown field through postmortems/markdown.py and store the HTML that "
            "changed. Run it after changing the renderer; pages show the stored HTML.")

    def handle(self, *args, **options):
        for model in apps.get_models():
            if not issubclass(model, RendersMarkdown):
                continue
            with transaction.atomic():
                changed = rerender(model)
            self.stdout.write(f"{model._meta.verbose_name_plural}: {changed:,} re-rendered")
