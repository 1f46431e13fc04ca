"""manage.py import_markdown PATH [PATH ...]: bring Markdown post-mortems in (see postmortems/interchange/)."""

import sys
import zoneinfo

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from postmortems.interchange.importer import FileReport, Options, import_paths, markdown_files
from postmortems.models import Status, Team, Template

TEXT_LINES_SHOWN = 20
PROGRESS_FROM = 20  # files; smaller batches finish before a bar would help


class ProgressBar:
    """A one-line bar on stderr, cleared before each report line so the two never mix."""

    def __init__(self, stream, total: int, width: int = 30):
        self.stream, self.total, self.width = stream, total, width
        self.shown = False

    def clear(self):
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def draw(self, done: int):
        filled = self.width * done // max(self.total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} files")
        self.stream.flush()
        self.shown = True


class Command(BaseCommand):
    help = "Import Markdown post-mortems from files or folders (*.md, recursively). Importing again updates."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="A Markdown file or a folder of them.")
        parser.add_argument("--template", default="Standard",
                            help="Template (name or slug) the post-mortems come from; its section prompts "
                                 "are matched by heading. Default: Standard.")
        parser.add_argument("--status", choices=[Status.DRAFT, Status.PUBLISHED], default=Status.DRAFT,
                            help="Status for files whose front matter names none. Default: draft.")
        parser.add_argument("--team", metavar="SLUG", help="Add every imported post-mortem to this team.")
        parser.add_argument("--restricted", action="store_true",
                            help="Import every file as restricted (authors and facilitators only).")
        parser.add_argument("--time-zone", default=None,
                            help="Zone of times that name none (default: the TIME_ZONE setting).")
        parser.add_argument("--overwrite", action="store_true",
                            help="Update post-mortems even when they were edited in Hindsight since their import.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; write nothing.")
        parser.add_argument("--progress", action="store_true",
                            help="Show a progress bar on stderr even when it is not a terminal.")

    def handle(self, *args, **options):
        template = Template.objects.filter(
            Q(name__iexact=options["template"]) | Q(slug__iexact=options["template"])
        ).first()
        if template is None:
            names = ", ".join(Template.objects.values_list("name", flat=True))
            raise CommandError(f"No template {options['template']!r}. Choose one of: {names}.")
        team = None
        if options["team"]:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"No team with the slug {options['team']!r}.")
        tz = None
        if options["time_zone"]:
            try:
                tz = zoneinfo.ZoneInfo(options["time_zone"])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise CommandError(f"Unknown time zone {options['time_zone']!r}.") from None
        run = Options(template=template, status=options["status"], team=team, restricted=options["restricted"],
                      dry_run=options["dry_run"], overwrite=options["overwrite"], tz=tz)
        files, _ = markdown_files(options["paths"])
        err = getattr(self.stderr, "_out", sys.stderr)
        bar = None
        if options["progress"] or (err.isatty() and len(files) >= PROGRESS_FROM):
            bar = ProgressBar(err, len(files))
        verbosity = options["verbosity"]

        def progress(done: int, total: int, report: FileReport):
            if bar:
                bar.clear()
            if verbosity >= 1 or report.failed:
                self._report(report, verbosity)
            if bar:
                bar.draw(done)

        reports = import_paths(options["paths"], options=run, progress=progress)
        if bar:
            bar.clear()
        found = {str(f) for f in files}
        for report in reports:
            if report.path not in found:  # paths that do not exist
                self._report(report, verbosity)
        self._summary(reports, options["dry_run"])
        failed = sum(1 for r in reports if r.failed)
        if failed:
            raise CommandError(f"{failed} file(s) failed; see the report above.")

    def _report(self, report: FileReport, verbosity: int):
        if report.failed:
            self.stdout.write(self.style.ERROR(f"failed     {report.path}: {report.reason}"))
            return
        if report.outcome == "skipped":
            if report.reason == "unchanged":
                self.stdout.write(f"skipped (unchanged) {report.path}")
            else:
                self.stdout.write(f"skipped    {report.path}: {report.reason}")
            return
        line = f"{report.outcome:<10} {report.path}"
        if report.slug:
            line += f" → {report.slug}"
        self.stdout.write(self.style.SUCCESS(line) + f" ({report.describe()})")
        for note in report.notes if verbosity >= 1 else []:
            self.stdout.write(f"           note: {note}")
        if verbosity >= 2:
            if report.structure:
                self.stdout.write(f"           read: {'; '.join(report.structure)}")
            for line in report.text_lines[:TEXT_LINES_SHOWN]:
                self.stdout.write(f"           stayed text: {line.strip()[:120]}")
            if len(report.text_lines) > TEXT_LINES_SHOWN:
                more = len(report.text_lines) - TEXT_LINES_SHOWN
                self.stdout.write(f"           …and {more} more line(s) kept as text")

    def _summary(self, reports: list[FileReport], dry_run: bool):
        counts: dict[str, int] = {}
        for report in reports:
            counts[report.outcome] = counts.get(report.outcome, 0) + 1
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing to do"
        prefix = "Dry run, nothing written. " if dry_run else ""
        self.stdout.write(f"{prefix}{len(reports)} file(s): {parts}.")
