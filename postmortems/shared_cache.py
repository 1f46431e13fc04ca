"""Shared, expensive figures (tag counts, the search page's facets, similar incidents) kept in Django's cache.

Correct across processes and cache backends: every key carries the library's version, a token in
the database (LibraryVersion) that `bump_library_version` replaces in the transaction of every change
to a post-mortem (services._refresh_derived, which every save, status change and import passes
through; removal from the search index). A lookup reads the token (one single-row query), so a
change shows on the next request in every process; superseded entries simply expire (TIMEOUT).

What a reader sees depends on who they are, so entries are kept per audience: facilitators see
every post-mortem; readers and authors with nothing unpublished or restricted to their name see the
published, open ones (one shared entry); anyone else gets entries of their own.
"""

import secrets

from django.core.cache import cache
from django.db.models import Q

from postmortems.models import LibraryVersion, PostMortem, Status

TIMEOUT = 600  # seconds; entries of superseded versions are never read again


def library_version() -> str:
    token = LibraryVersion.objects.values_list("token", flat=True).first()
    return token or "0"


def bump_library_version() -> None:
    """Give the library a new version (in the caller's transaction): every cached figure is recomputed."""
    token = secrets.token_hex(8)
    if not LibraryVersion.objects.update(token=token):
        LibraryVersion.objects.create(token=token)


def audience(user) -> str:
    """Return which shared entries `user` may read: 'all', 'open' or one of their own."""
    from postmortems.roles import is_facilitator

    if not user.is_authenticated:
        return "none"
    if is_facilitator(user):
        return "all"
    unpublished = PostMortem.objects.filter(authors=user).filter(~Q(status=Status.PUBLISHED) | Q(restricted=True))
    return f"user-{user.pk}" if unpublished.exists() else "open"


def cached(name: str, *, user, compute, parts=()):
    """Return `compute()`, cached under `name`, `user`'s audience, `parts` and the library's version."""
    key = ":".join(["hindsight", name, audience(user), library_version(), *map(str, parts)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
