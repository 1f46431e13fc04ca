"""Following post-mortems, tags and teams, and @mentions: who else hears of what is published and said."""

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from taggit.models import Tag

from postmortems import notifications
from postmortems.models import Follow, NotificationKind, PostMortem, Team

# Django usernames: letters, digits and @.+-_ ; a mention ends before a trailing full stop or other punctuation.
MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])", re.UNICODE)
MAX_MENTIONS = 20


def mentioned_usernames(text: str) -> set[str]:
    """Return the usernames written as @username in `text` (at most MAX_MENTIONS)."""
    names = []
    for match in MENTION_RE.finditer(text or ""):
        if match.group(1) not in names:
            names.append(match.group(1))
        if len(names) >= MAX_MENTIONS:
            break
    return set(names)


def notify_mentions(*, postmortem: PostMortem, user, before: str, after: str, where: str, comment=None,
                    work_in_progress: bool) -> list:
    """Tell the people newly @mentioned in `after` (not in `before`) who may see the text."""
    new = mentioned_usernames(after) - mentioned_usernames(before)
    if not new:
        return []
    ids = set(get_user_model().objects.filter(username__in=new, is_active=True).values_list("pk", flat=True))
    if work_in_progress:
        ids = notifications.work_in_progress_ids(postmortem, ids)
    who = user.get_full_name() or user.username if user is not None else "Someone"
    return notifications.notify(
        kind=NotificationKind.MENTION, recipient_ids=ids, postmortem=postmortem, comment=comment, actor=user,
        message=f"{who} mentioned you in {where} of “{postmortem.title[:120]}”.", note=after[:500],
    )


def section_mentions(*, postmortem: PostMortem, user, before: dict, after: dict) -> None:
    """Tell people newly @mentioned in a saved document's sections (text being written: work in progress)."""
    old = {row.get("id"): row.get("body", "") for row in before.get("sections", [])}
    for row in after.get("sections", []):
        notify_mentions(postmortem=postmortem, user=user, before=old.get(row.get("id"), ""), after=row.get("body", ""),
                        where=f"the section “{(row.get('heading') or 'Section')[:60]}”", work_in_progress=True)


@transaction.atomic
def follow_set(*, user, following: bool, postmortem: PostMortem | None = None, team: Team | None = None,
               tag: Tag | None = None) -> None:
    """Follow (or stop following) exactly one of a post-mortem, a team or a tag."""
    target = {"postmortem": postmortem, "team": team, "tag": tag}
    chosen = {k: v for k, v in target.items() if v is not None}
    if len(chosen) != 1:
        raise ValueError("Follow exactly one thing.")
    if following:
        Follow.objects.get_or_create(user=user, **chosen)
    else:
        Follow.objects.filter(user=user, **chosen).delete()


def is_following(user, **target) -> bool:
    return user.is_authenticated and Follow.objects.filter(user=user, **target).exists()
