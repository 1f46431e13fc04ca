"""manage.py import_archive FILE.json: restore an export_archive file into an empty, migrated database."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledge.archive import ArchiveError, restore_archive


class Command(BaseCommand):
    help = ("Restore an archive made by export_archive into a freshly migrated database (SQLite or PostgreSQL). "
            "Refuses a database that already holds post-mortems, teams, tags or reading lists.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.json")

    def handle(self, *args, file, **options):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} is not a JSON archive ({error}).") from None
        try:
            report = restore_archive(data)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        except (KeyError, TypeError) as error:
            raise CommandError(f"{path} is not a complete Hindsight archive (missing or wrong {error}).") from None
        except ValueError as error:  # a date no calendar holds, such as year 10000
            raise CommandError(f"{path} holds a value Hindsight cannot read ({error}).") from None
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        restored = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Restored {restored}."))
