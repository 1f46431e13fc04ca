"""What the search engine indexes for a post-mortem, built one at a time (on save) or in bulk (rebuild)."""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import transaction
from taggit.models import TaggedItem

from knowledge.models import SearchDocument, SearchFacts, SearchTerm
from knowledge.search.tokens import document_tokens
from postmortems.models import ActionItem, ContributingFactor, PostMortem, Section, TimelineEvent

# \x02 and \x03 mark highlighted words in engine output; they never belong in indexed text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MARKDOWN_NOISE_RE = re.compile(r"(\*\*|__|`+|^#{1,6}\s+|^>\s?)", re.MULTILINE)
_VOCABULARY_RE = re.compile(r"[^\W\d_]{3,30}", re.UNICODE)


def clean_text(text: str) -> str:
    """Return `text` with control characters and the loudest Markdown markers removed."""
    return _MARKDOWN_NOISE_RE.sub("", _CONTROL_RE.sub(" ", text or "")).strip()


def _body(sections, events, factors, actions) -> str:
    parts = [f"{heading}\n{body}" for heading, body in sections if body.strip()]
    parts += list(events)
    parts += [f"{category}: {description}" for category, description in factors]
    parts += [f"{title}. {description}".strip() for title, description in actions]
    return clean_text("\n\n".join(parts))


def keywords_text(names) -> str:
    """Return tag, team and factor category names as one searchable text, each name once."""
    return clean_text(" · ".join(dict.fromkeys(n for n in names if n)))


def _document(pm, *, body: str, author_ids, tag_ids, team_ids, category_ids,
              keywords: str) -> tuple[SearchDocument, SearchFacts]:
    occurred = pm.started_at or pm.created_at
    facts = SearchFacts(
        postmortem_id=pm.pk,
        status=pm.status,
        restricted=pm.restricted,
        severity=pm.severity,
        occurred_at=occurred,
        year=occurred.year,
        tag_ids=sorted(set(tag_ids)),
        team_ids=sorted(set(team_ids)),
        category_ids=sorted(set(category_ids)),
    )
    doc = SearchDocument(
        postmortem_id=pm.pk,
        title=clean_text(pm.title),
        summary=clean_text(pm.summary),
        body=body,
        facets=document_tokens(status=pm.status, restricted=pm.restricted, severity=pm.severity, year=occurred.year,
                            author_ids=author_ids, tag_ids=facts.tag_ids, team_ids=facts.team_ids,
                            category_ids=facts.category_ids),
        keywords=keywords,
    )
    return doc, facts


def build_document(pm: PostMortem) -> tuple[SearchDocument, SearchFacts]:
    """Return the (unsaved) search document and facts of one post-mortem, read fresh from the database."""
    sections = Section.objects.filter(postmortem=pm).values_list("heading", "body")
    events = TimelineEvent.objects.filter(postmortem=pm).values_list("description", flat=True)
    factors = list(ContributingFactor.objects.filter(postmortem=pm).values_list("category__name", "description",
                                                                                 "category_id"))
    actions = ActionItem.objects.filter(postmortem=pm).values_list("title", "description")
    body = _body(sections, events, [(c, d) for c, d, _ in factors], actions)
    tags = list(pm.tags.order_by("name").values_list("id", "name"))
    teams = list(pm.teams.order_by("name").values_list("id", "name"))
    return _document(
        pm,
        body=body,
        author_ids=pm.authors.values_list("id", flat=True),
        tag_ids=[i for i, _ in tags],
        team_ids=[i for i, _ in teams],
        category_ids=[cid for _, _, cid in factors],
        keywords=keywords_text([n for _, n in tags] + [n for _, n in teams] + sorted(c for c, _, _ in factors)),
    )


def vocabulary(*texts: str) -> set[str]:
    """Return the distinct lower-case words of `texts` worth suggesting."""
    words: set[str] = set()
    for text in texts:
        words.update(_VOCABULARY_RE.findall(text.lower()))
    return words


def ordered_words(text: str) -> list[str]:
    """Return the distinct lower-case words of `text` in the order they first appear."""
    return list(dict.fromkeys(_VOCABULARY_RE.findall(text.lower())))


def save_terms(words: Iterable[str]) -> None:
    SearchTerm.objects.bulk_create([SearchTerm(word=w) for w in sorted(words)], ignore_conflicts=True,
                                   batch_size=2000)


@transaction.atomic
def index_one(pm: PostMortem) -> None:
    doc, facts = build_document(pm)
    SearchDocument.objects.filter(pk=pm.pk).delete()
    SearchFacts.objects.filter(pk=pm.pk).delete()
    doc.save(force_insert=True)
    facts.save(force_insert=True)
    save_terms(vocabulary(doc.title, doc.summary, doc.body, doc.keywords))


def _grouped(rows, width: int) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1] if width == 1 else row[1:])
    return grouped


def bulk_documents(ids: list[int]) -> Iterator[tuple[SearchDocument, SearchFacts]]:
    """Yield (document, facts) for the post-mortems `ids` with a fixed number of queries."""
    from postmortems.models import PostMortem as PM

    pms = PM.objects.filter(pk__in=ids).only(
        "id", "title", "summary", "status", "restricted", "severity", "started_at", "created_at"
    )
    sections = _grouped(Section.objects.filter(postmortem_id__in=ids).order_by("postmortem_id", "position", "id")
                        .values_list("postmortem_id", "heading", "body"), 2)
    events = _grouped(TimelineEvent.objects.filter(postmortem_id__in=ids).order_by("postmortem_id", "occurred_at")
                      .values_list("postmortem_id", "description"), 1)
    factors = _grouped(ContributingFactor.objects.filter(postmortem_id__in=ids).order_by("postmortem_id", "position")
                       .values_list("postmortem_id", "category__name", "description", "category_id"), 3)
    actions = _grouped(ActionItem.objects.filter(postmortem_id__in=ids).order_by("postmortem_id", "id")
                       .values_list("postmortem_id", "title", "description"), 2)
    tags = _grouped(TaggedItem.objects.filter(content_type__app_label="postmortems", content_type__model="postmortem",
                                              object_id__in=ids).order_by("tag__name")
                    .values_list("object_id", "tag_id", "tag__name"), 2)
    authors = _grouped(PM.authors.through.objects.filter(postmortem_id__in=ids)
                       .values_list("postmortem_id", "user_id"), 1)
    teams = _grouped(PM.teams.through.objects.filter(postmortem_id__in=ids).order_by("team__name")
                     .values_list("postmortem_id", "team_id", "team__name"), 2)
    for pm in pms:
        pm_factors = factors.get(pm.pk, [])
        yield _document(
            pm,
            body=_body(sections.get(pm.pk, []), events.get(pm.pk, []), [(c, d) for c, d, _ in pm_factors],
                       actions.get(pm.pk, [])),
            author_ids=authors.get(pm.pk, []),
            tag_ids=[i for i, _ in tags.get(pm.pk, [])],
            team_ids=[i for i, _ in teams.get(pm.pk, [])],
            category_ids=[cid for _, _, cid in pm_factors],
            keywords=keywords_text([n for _, n in tags.get(pm.pk, [])] + [n for _, n in teams.get(pm.pk, [])]
                                   + sorted(c for c, _, _ in pm_factors)),
        )
