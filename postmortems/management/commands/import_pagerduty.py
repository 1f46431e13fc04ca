"""manage.py import_pagerduty FILE [FILE …] --into SLUG: PagerDuty log entries become timeline events and
fill the incident's start, detection and resolution times (see postmortems/interchange/chat.py)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postmortems.interchange.chat import PagingError, read_pagerduty
from postmortems.interchange.tools import from_paging
from postmortems.management.commands._tool_import import add_common_arguments, apply, target

MAX_FILE_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = ("Add an incident's PagerDuty log entries (the JSON of /incidents/{id}/log_entries, one file per "
            "page) to a post-mortem's timeline, and fill its start, detection and resolution times when empty.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        add_common_arguments(parser)

    def handle(self, *args, **options):
        postmortem, user = target(options)
        pages = []
        for name in options["files"]:
            path = Path(name)
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise CommandError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
                pages.append(json.loads(path.read_bytes().decode("utf-8-sig")))
            except OSError as error:
                raise CommandError(f"{name}: {error.strerror or error}") from None
            except (ValueError, UnicodeDecodeError):
                raise CommandError(f"{name}: not valid JSON") from None
        try:
            found = read_pagerduty(pages)
        except PagingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{len(pages)} file(s), incident {', '.join(found.incident_ids) or '(unnamed)'}:")
        apply(self, from_paging(found), postmortem=postmortem, user=user, dry_run=options["dry_run"],
              source="PagerDuty")
