"""manage.py import_slack EXPORT --channel NAME --into SLUG [--from … --to …]: a Slack export's messages
become timeline events (see postmortems/interchange/chat.py)."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from postmortems.interchange.chat import ExportError, read_slack_export
from postmortems.interchange.tools import from_chat
from postmortems.management.commands._tool_import import add_common_arguments, apply, target


def _instant(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--{name} {value!r} is not a date-time such as 2024-03-04T13:55Z.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = ("Add the messages of one channel of a Slack workspace export (the .zip or its folder) in a time "
            "window to a post-mortem's timeline; speakers become placeholders (Responder A …).")

    def add_arguments(self, parser):
        parser.add_argument("export", help="The export's .zip file or its unpacked folder.")
        parser.add_argument("--channel", required=True, help="Channel name, with or without #.")
        parser.add_argument("--from", dest="start", metavar="WHEN", help="Window start (ISO 8601; UTC if no zone).")
        parser.add_argument("--to", dest="end", metavar="WHEN", help="Window end (ISO 8601; UTC if no zone).")
        add_common_arguments(parser)

    def handle(self, *args, **options):
        start, end = _instant(options["start"], "from"), _instant(options["end"], "to")
        if start and end and end < start:
            raise CommandError("--to is before --from.")
        postmortem, user = target(options)
        try:
            found = read_slack_export(options["export"], channel=options["channel"], start=start, end=end)
        except ExportError as error:
            raise CommandError(f"{options['export']}: {error}") from None
        self.stdout.write(f"{options['export']} #{options['channel'].lstrip('#')}:")
        timeline = from_chat(found.messages, found.speakers, outside_window=found.outside_window,
                             skipped=found.skipped)
        apply(self, timeline, postmortem=postmortem, user=user, dry_run=options["dry_run"], source="Slack")
