"""What `import_slack` and `import_pagerduty` share: the target post-mortem, the user, the report."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from postmortems.models import PostMortem
from postmortems.services import postmortem_add_timeline


def add_common_arguments(parser):
    parser.add_argument("--into", required=True, metavar="SLUG", help="The post-mortem whose timeline gets the events.")
    parser.add_argument("--user", metavar="USERNAME", help="Who the revision is recorded for (default: nobody).")
    parser.add_argument("--dry-run", action="store_true", help="Report what would be added; write nothing.")


def target(options):
    postmortem = PostMortem.objects.filter(slug=options["into"]).first()
    if postmortem is None:
        raise CommandError(f"No post-mortem with the slug {options['into']!r}.")
    user = None
    if options.get("user"):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
    return postmortem, user


def apply(command, timeline, *, postmortem, user, dry_run: bool, source: str):
    for line in timeline.report:
        command.stdout.write(f"  {line}")
    outcome = postmortem_add_timeline(postmortem=postmortem, user=user, events=timeline.events, times=timeline.times,
                                      action=f"added a timeline from {source}", dry_run=dry_run)
    would = "would add" if dry_run else "added"
    filled = ""
    if outcome.times_filled:
        filled = f"; {'would fill' if dry_run else 'filled'} {', '.join(outcome.times_filled)}"
    command.stdout.write(f"{'Dry run, nothing written. ' if dry_run else ''}{postmortem.slug}: {would} "
                         f"{outcome.added} event(s), {outcome.already_there} already there{filled}.")
