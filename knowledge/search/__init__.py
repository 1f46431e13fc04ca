"""The library's full-text search: one interface, one backend per database engine.

`index_postmortem` is called by postmortems.services in the same transaction as every save; every
change to the index also gives the library a new version (postmortems/shared_cache.py).
Every post-mortem is indexed whatever its status; who may see what is decided at query time,
with the same rule as PostMortem.objects.visible_to.
"""

import difflib
import re
from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.search.base import START, STOP, Backend, Filters, Viewer, facet_groups
from knowledge.search.query import ParsedQuery, Term, parse, with_synonyms, without_stop_words
from knowledge.search.tokens import category_token, tag_token
from postmortems.shared_cache import bump_library_version

__all__ = [
    "Filters", "SearchOutcome", "Viewer", "backend", "highlight_html", "index_postmortem", "parse", "prepare",
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
            words |= vocabulary(doc.title, doc.summary, doc.body, doc.keywords)
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
    corrected: str = ""  # the query the results are for, when a misspelt word was replaced
    facets_estimated: bool = False
    matched_words: int = 0  # with partial matches: how many of the query's words each result matches at least
    query_words: int = 0

    @property
    def partial(self) -> bool:
        return 0 < self.matched_words < self.query_words


def synonym_sets() -> list[list[tuple[str, ...]]]:
    """Return the synonyms facilitators keep, each set as its terms' words."""
    from knowledge.models import Synonym

    return [synonym.members() for synonym in Synonym.objects.all()]


def prepare(text: str, synonyms=None) -> ParsedQuery:
    """Return `text` parsed, its stop words dropped and its synonyms added, as the engines run it."""
    return without_stop_words(with_synonyms(parse(text), synonym_sets() if synonyms is None else synonyms))


def search(*, user, text: str, filters: Filters, sort: str = "relevance", offset: int = 0,
           limit: int = 20, correct: bool = True) -> SearchOutcome:
    """Return one page of the post-mortems `user` may see that match `text` and `filters`.

    When no document matches every word: a word that finds nothing visible is replaced by its
    closest visible spelling (unless `correct` is off) or left out, and then the documents that
    match the most of the words are shown (`matched_words` of `query_words`).
    """
    viewer = viewer_for(user)
    if viewer is None:
        return SearchOutcome([], 0, {}, {})
    parsed = prepare(text)
    groups = facet_groups(viewer, filters)
    engine = backend()

    def run():
        with connection.cursor() as cursor:
            def page(query):
                return engine.page(cursor, query, groups, sort=sort, offset=offset, limit=limit)

            query = _settle_prefix(engine, cursor, parsed, groups)
            counts, ids = page(query)
            shown, corrected, matched = query, "", len(query.clauses)
            if counts.total == 0 and parsed.has_positive:
                shown, corrected = _repair(engine, cursor, text, query, groups, correct=correct)
                matched = len(shown.clauses)
                if shown.clauses != query.clauses and shown.has_positive:
                    counts, ids = page(shown)
                for minimum in range(len(shown.clauses) - 1, 0, -1):
                    if counts.total:
                        break
                    shown, matched = shown.at_least(minimum), minimum
                    counts, ids = page(shown)
            marked = engine.highlights(cursor, shown, ids) if ids and shown.has_positive else {}
        return SearchOutcome(ids, counts.total, counts.facets, {
            pk: (highlight_html(title), highlight_html(snippet)) for pk, (title, snippet) in marked.items()
        }, corrected, counts.estimated, matched if counts.total else 0, len(parsed.clauses))

    return engine.run(run)


def _settle_prefix(engine: Backend, cursor, parsed: ParsedQuery, groups) -> ParsedQuery:
    """Return `parsed` with its last word exact when, as typed, it already finds a visible document.

    Stemming finds a finished word's other forms (deploy, deploys, deployed); a prefix is for a word
    still being typed, and costs the engines a merge of every word that starts with it. Only what
    the user may see decides, so a hidden word typed in full behaves like any unknown word.
    """
    if not parsed.clauses or not any(term.prefix for term in parsed.clauses[-1]):
        return parsed
    exact = [replace(term, prefix=False) for term in parsed.clauses[-1]]
    if not engine.finds_any(cursor, ParsedQuery(clauses=[[t for t in exact if t.words]]), groups):
        return parsed
    return replace(parsed, clauses=[*parsed.clauses[:-1], exact])


# Correction looks at this many clauses of the query, and at this many close spellings of each word.
SUGGEST_WORDS = 8
SUGGEST_CANDIDATES = 8


def _repair(engine: Backend, cursor, text: str, parsed: ParsedQuery, groups, *, correct: bool):
    """Return (query, corrected text): clauses that find nothing visible replaced by a close visible word, or dropped.

    The vocabulary holds the words of every document, hidden ones included, so it only proposes
    candidates: a candidate is used only when a search for it alone finds a document the user may
    see. Nothing a correction shows is a word the user could not find.
    """
    clauses, corrected = [], text
    for index, clause in enumerate(parsed.clauses):
        if index >= SUGGEST_WORDS or engine.finds_any(cursor, ParsedQuery(clauses=[clause]), groups):
            clauses.append(clause)
            continue
        if not correct:
            continue
        replacements = []
        for term in clause:
            word = term.words[0] if len(term.words) == 1 else ""
            if len(word) < 3:
                continue
            ranked = _closest(word, engine.term_candidates(cursor, word, limit=SUGGEST_CANDIDATES))
            best = next(iter(engine.visible_terms(cursor, ranked, groups, first_only=True)), None)
            if best:
                replacements.append(Term((best,)))
                corrected = re.sub(rf"\b{re.escape(word)}\b", best, corrected, flags=re.IGNORECASE)
        if replacements:
            clauses.append(replacements)
    return ParsedQuery(clauses=clauses, excluded=parsed.excluded), (corrected if corrected != text else "")


def typos_allowed(word: str) -> int:
    """Return how many typos a word of this length may carry (as Meilisearch: 1 from 5 letters, 2 from 9)."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Return the number of insertions, deletions, substitutions and swaps between `a` and `b` (capped at limit + 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _closest(word: str, candidates: list[str]) -> list[str]:
    """Return the candidates within the typos `word` may carry, closest first."""
    limit = typos_allowed(word)
    scored = [(edit_distance(word, c, limit), -difflib.SequenceMatcher(None, word, c).ratio(), c)
              for c in candidates if c != word]
    return [c for distance, _, c in sorted(scored) if distance <= limit][:SUGGEST_CANDIDATES]


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
                found += engine.newest_with_any(cursor, [tag_token(i) for i in tag_ids], groups, tag_limit)
            if category_ids:
                found += engine.newest_with_any(cursor, [category_token(i) for i in category_ids], groups,
                                                category_limit)
        return list(dict.fromkeys(found))

    return engine.run(run)


_STOP_WORDS = {
    "the", "and", "for", "with", "was", "were", "are", "that", "this", "from", "into", "after", "before",
    "our", "their", "its", "had", "has", "have", "not", "but", "all", "during", "when", "while", "which",
    "then", "than", "out", "over", "under", "about", "some", "more", "less", "who", "what", "why", "how",
}
