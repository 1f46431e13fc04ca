"""manage.py export_markdown DIR: one Markdown file per post-mortem, readable by import_markdown."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postmortems.interchange.exporter import postmortem_to_markdown
from postmortems.models import PostMortem, Status


class Command(BaseCommand):
    help = "Write every post-mortem to DIR/<slug>.md (YAML front matter, sections, timeline table, lists)."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--restricted", action="store_true",
                            help="Include restricted post-mortems (left out unless asked).")
        parser.add_argument("--status", choices=Status.values, help="Only post-mortems with this status.")

    def handle(self, *args, directory, restricted, status, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a folder.")
        target.mkdir(parents=True, exist_ok=True)
        postmortems = PostMortem.objects.select_related("template", "facilitator").prefetch_related(
            "teams", "tags", "authors", "sections", "timeline_events"
        ).order_by("slug")
        if not restricted:
            left_out = postmortems.filter(restricted=True).count()
            postmortems = postmortems.filter(restricted=False)
        else:
            left_out = 0
        if status:
            postmortems = postmortems.filter(status=status)
        written = 0
        for postmortem in postmortems.iterator(chunk_size=200):
            (target / f"{postmortem.slug}.md").write_text(postmortem_to_markdown(postmortem), encoding="utf-8")
            written += 1
            if options["verbosity"] >= 2:
                self.stdout.write(f"wrote {target / (postmortem.slug + '.md')}")
        message = f"Wrote {written} post-mortem(s) to {target}."
        if left_out:
            message += f" Left out {left_out} restricted one(s); pass --restricted to include them."
        self.stdout.write(message)
