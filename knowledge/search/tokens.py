"""Who may see a document, and its filters, as words in the search index: the one token scheme.

The visibility tokens mirror PostMortem.objects.visible_to (postmortems/models.py): facilitators
see everything; everyone else sees published-and-open post-mortems (`pub`) and the ones they
author (`au<user id>`). A document carries its tokens in SearchDocument.facets (written by
`document_tokens`); a search asks for them as groups (built by `facet_groups`): a document matches
when it carries one token of every group. If the rule in visible_to changes, change it here too
(tests/knowledge/test_leaks.py compares the two for every role).

Tokens: `doc` on every document, `pub`, `au<id>`, `tg<id>` tags, `tm<id>` teams, `fc<id>` factor
categories, `sv<n>` severity, `yr<year>`, `st<status without underscores>`.
"""

from dataclasses import dataclass

EVERY_DOCUMENT = "doc"
PUBLISHED_AND_OPEN = "pub"


@dataclass(frozen=True)
class Viewer:
    """Whose eyes the search is for: facilitators see everything, others published-and-open plus their own."""

    user_id: int | None
    sees_all: bool = False


def author_token(user_id) -> str:
    return f"au{int(user_id)}"


def tag_token(tag_id) -> str:
    return f"tg{int(tag_id)}"


def team_token(team_id) -> str:
    return f"tm{int(team_id)}"


def category_token(category_id) -> str:
    return f"fc{int(category_id)}"


def severity_token(severity: str) -> str:
    return f"sv{severity[-1:]}"


def year_token(year) -> str:
    return f"yr{int(year)}"


def status_token(status: str) -> str:
    return f"st{status.replace('_', '')}"


def is_published_and_open(*, status: str, restricted: bool) -> bool:
    """Return whether every signed-in user may read a post-mortem (the first arm of visible_to)."""
    return status == "published" and not restricted


def document_tokens(*, status: str, restricted: bool, severity: str, year: int, author_ids, tag_ids, team_ids,
                    category_ids) -> str:
    """Return the tokens the engines index for a post-mortem's visibility and filters."""
    tokens = [EVERY_DOCUMENT]
    if is_published_and_open(status=status, restricted=restricted):
        tokens.append(PUBLISHED_AND_OPEN)
    tokens += [author_token(i) for i in sorted(set(author_ids))]
    tokens += [status_token(status), severity_token(severity), year_token(year)]
    tokens += [tag_token(i) for i in sorted(set(tag_ids))] + [team_token(i) for i in sorted(set(team_ids))]
    tokens += [category_token(i) for i in sorted(set(category_ids))]
    return " ".join(tokens)


def viewer_group(viewer: Viewer) -> list[str] | None:
    """Return the tokens of which a document must carry one for `viewer` to see it (None: no limit)."""
    if viewer.sees_all:
        return None
    return [PUBLISHED_AND_OPEN, author_token(viewer.user_id)]


def facet_groups(viewer: Viewer, filters) -> list[list[str]]:
    """Return index tokens as groups: a document must carry one token of every group."""
    group = viewer_group(viewer)
    groups = [group] if group else []
    groups += [[tag_token(i)] for i in filters.tag_ids]
    groups += [[team_token(i)] for i in filters.team_ids]
    groups += [[category_token(i)] for i in filters.category_ids]
    if filters.severities:
        groups.append([severity_token(s) for s in filters.severities])
    if filters.years:
        groups.append([year_token(y) for y in filters.years])
    if filters.statuses:
        groups.append([status_token(s) for s in filters.statuses])
    return groups or [[EVERY_DOCUMENT]]
