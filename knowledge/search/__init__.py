"""The library's full-text search: one interface, one backend per database engine.

`index_postmortem` is called by postmortems.services in the same transaction as every save; every
change to the index also gives the library a new version (postmortems/shared_cache.py).
Every post-mortem is indexed whatever its status; who may see what is decided at query time,
with the same rule as PostMortem.objects.visible_to.
"""

import difflib
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.search.base import START, STOP, Backend, Filters, Viewer, facet_groups
from knowledge.search.query import ParsedQuery, parse
from postmortems.shared_cache import bump_library_version

__all__ = [
    "Filters", "SearchOutcome", "Viewer", "backend", "highlight_html", "index_postmortem", "parse",
    "rebuild_index", "remove_postmortem", "search", "similar_by_text", "viewer_for",
]

_MARK_RE = re.compile(f"{START}([^{START}{STOP}]*){STOP}")


def backend() -> Backend:
    """Return the backend for the database in use."""
    if connection.vendor == "postgresql":
        from knowledge.search.postgres import PostgresBackend

        return PostgresBackend()
    if connection.vendor == "sqlite":
        from knowledge.search.sqlite import SqliteBackend

        return SqliteBackend()
    raise NotImplementedError(f"No search backend for {connection.vendor}.")


def index_postmortem(postmortem) -> None:
    """Bring the search index up to date with `postmortem`."""
    from knowledge.search.documents import index_one

    index_one(postmortem)
    bump_library_version()  # the figures cached for every reader (postmortems/shared_cache.py)


def remove_postmortem(postmortem_id: int) -> None:
    """Drop `postmortem_id` from the search index."""
    from knowledge.models import SearchDocument, SearchFacts

    SearchDocument.objects.filter(pk=postmortem_id).delete()
    SearchFacts.objects.filter(pk=postmortem_id).delete()
    bump_library_version()


@transaction.atomic
def rebuild_index(*, batch_size: int = 2000, progress=None) -> int:
    """Rebuild the whole index from the post-mortems; return how many documents it holds."""
    from knowledge.models import SearchDocument, SearchFacts, SearchTerm
    from knowledge.search.documents import bulk_documents, save_terms, vocabulary
    from postmortems.models import PostMortem

    SearchDocument.objects.all().delete()
    SearchFacts.objects.all().delete()
    SearchTerm.objects.all().delete()
    ids = list(PostMortem.objects.order_by("pk").values_list("pk", flat=True))
    words: set[str] = set()
    for start in range(0, len(ids), batch_size):
        pairs = list(bulk_documents(ids[start:start + batch_size]))
        docs = [doc for doc, _ in pairs]
        SearchDocument.objects.bulk_create(docs, batch_size=500)
        SearchFacts.objects.bulk_create([facts for _, facts in pairs], batch_size=1000)
        for doc in docs:
            words |= vocabulary(doc.title, doc.summary, doc.body)
        if progress:
            progress(min(start + batch_size, len(ids)), len(ids))
    save_terms(words)
    bump_library_version()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO knowledge_search_fts(knowledge_search_fts) VALUES ('optimize')")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_searchdocument")
            cursor.execute("ANALYZE knowledge_searchfacts")
            cursor.execute("ANALYZE knowledge_searchterm")
    return len(ids)


def viewer_for(user) -> Viewer | None:
    """Return the visibility a search runs with for `user` (None: sees nothing)."""
    from postmortems.roles import is_facilitator

    if not user.is_authenticated:
        return None
    return Viewer(user_id=user.pk, sees_all=is_facilitator(user))


def highlight_html(text: str) -> SafeString:
    """Return engine output as HTML: everything escaped, matched words in <mark>."""
    html = _MARK_RE.sub(r"<mark>\1</mark>", str(escape((text or "").strip())))
    return mark_safe(html.replace(START, "").replace(STOP, ""))


@dataclass
class SearchOutcome:
    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]
    highlights: dict[int, tuple[SafeString, SafeString]]
    suggestion: str = ""
    facets_estimated: bool = False


def search(*, user, text: str, filters: Filters, sort: str = "relevance", offset: int = 0,
           limit: int = 20) -> SearchOutcome:
    """Return one page of the post-mortems `user` may see that match `text` and `filters`."""
    viewer = viewer_for(user)
    if viewer is None:
        return SearchOutcome([], 0, {}, {})
    parsed = parse(text)
    groups = facet_groups(viewer, filters)
    engine = backend()

    def run():
        with connection.cursor() as cursor:
            counts, ids = engine.page(cursor, parsed, groups, sort=sort, offset=offset, limit=limit)
            marked = engine.highlights(cursor, parsed, ids) if parsed.has_positive else {}
            suggestion = ""
            if counts.total == 0 and parsed.has_positive:
                suggestion = _suggest(engine, cursor, text, parsed, groups)
        return SearchOutcome(ids, counts.total, counts.facets, {
            pk: (highlight_html(title), highlight_html(snippet)) for pk, (title, snippet) in marked.items()
        }, suggestion, counts.estimated)

    return engine.run(run)


# Did-you-mean looks at this many words of the query, and at this many close spellings of each.
SUGGEST_WORDS = 8
SUGGEST_CANDIDATES = 8


def _suggest(engine: Backend, cursor, text: str, parsed: ParsedQuery, groups) -> str:
    """Return `text` with unknown words replaced by close known ones, if that finds something visible.

    The vocabulary holds the words of every document, hidden ones included, so it only proposes
    candidates: a word counts as known, and a candidate is offered, only when a search for it alone
    finds a document the user may see. Nothing a suggestion shows is a word the user could not find.
    """
    words = [word for word in parsed.words() if len(word) >= 3][:SUGGEST_WORDS]
    known = engine.visible_terms(cursor, sorted(engine.known_terms(cursor, words)), groups) if words else []
    corrected = text
    for word in words:
        if word in known:
            continue
        candidates = engine.term_candidates(cursor, word, limit=SUGGEST_CANDIDATES)
        ranked = difflib.get_close_matches(word, candidates, n=SUGGEST_CANDIDATES, cutoff=0.7)
        best = next(iter(engine.visible_terms(cursor, ranked, groups, first_only=True)), None)
        if best:
            corrected = re.sub(rf"\b{re.escape(word)}\b", best, corrected, flags=re.IGNORECASE)
    if corrected == text:
        return ""
    return corrected if engine.count(cursor, parse(corrected), groups) else ""


def similar_by_text(*, user, title: str, summary: str, exclude_id: int | None, limit: int = 30):
    """Return [(postmortem_id, score)] of visible post-mortems whose title and summary resemble these."""
    from knowledge.search.documents import ordered_words

    viewer = viewer_for(user)
    if viewer is None:
        return []
    words = [w for w in ordered_words(f"{title} {summary}") if w not in _STOP_WORDS][:24]
    engine = backend()

    groups = facet_groups(viewer, Filters())

    def run():
        with connection.cursor() as cursor:
            return engine.similar_by_text(cursor, words, groups, exclude_id, limit)

    return engine.run(run)


def newest_sharing(*, user, tag_ids, category_ids, tag_limit: int = 400, category_limit: int = 100) -> list[int]:
    """Return ids of the newest visible post-mortems sharing a tag, then a factor category (bounded)."""
    viewer = viewer_for(user)
    if viewer is None:
        return []
    groups = facet_groups(viewer, Filters())
    engine = backend()

    def run():
        found: list[int] = []
        with connection.cursor() as cursor:
            if tag_ids:
                found += engine.newest_with_any(cursor, [f"tg{int(i)}" for i in tag_ids], groups, tag_limit)
            if category_ids:
                found += engine.newest_with_any(cursor, [f"fc{int(i)}" for i in category_ids], groups,
                                                category_limit)
        return list(dict.fromkeys(found))

    return engine.run(run)


_STOP_WORDS = {
    "the", "and", "for", "with", "was", "were", "are", "that", "this", "from", "into", "after", "before",
    "our", "their", "its", "had", "has", "have", "not", "but", "all", "during", "when", "while", "which",
    "then", "than", "out", "over", "under", "about", "some", "more", "less", "who", "what", "why", "how",
}
