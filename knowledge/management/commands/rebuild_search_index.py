from django.core.management.base import BaseCommand

from knowledge.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the library's search index from scratch (every post-mortem, whatever its status)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="post-mortems read per batch")

    def handle(self, *args, batch_size, verbosity, **options):
        def progress(done, total):
            if verbosity > 1:
                self.stdout.write(f"indexed {done}/{total}")

        count = rebuild_index(batch_size=batch_size, progress=progress)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {count} post-mortems."))
