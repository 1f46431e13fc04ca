"""manage.py export_archive FILE.json: everything, for a backup or a move to another database."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from knowledge.archive import build_archive


class Command(BaseCommand):
    help = ("Write everything (users, teams, templates, post-mortems with all their parts, revisions, links, "
            "reading lists, rules) to one JSON file. It holds password hashes: keep it like a database backup.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.json", help="Where to write the archive; - for standard output.")

    def handle(self, *args, file, **options):
        archive = build_archive()
        if file == "-":
            json.dump(archive, sys.stdout, ensure_ascii=False, indent=1)
            return
        path = Path(file)
        tmp = path.with_name(path.name + ".partial")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(archive, out, ensure_ascii=False, indent=1)
        tmp.replace(path)  # a reader never sees half an archive
        self.stdout.write(
            f"Wrote {path}: {len(archive['users'])} users, {len(archive['teams'])} teams, "
            f"{len(archive['postmortems'])} post-mortems, {len(archive['reading_lists'])} reading lists."
        )
