"""The library: links between incidents, curated reading lists and read marks.

The search index lives in knowledge/search/ (one backend per database engine).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from postmortems.models import MARKDOWN, PostMortem
from postmortems.rendered import RenderedMarkdownQuerySet, RendersMarkdown, html_field


class RelatedLink(models.Model):
    """An explicit link between two post-mortems, shown on both."""

    source = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="links_in")
    note = models.CharField(max_length=200, blank=True, help_text='e.g. "same failure mode", "follow-up of".')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="one_link_per_pair"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="no_link_to_self"),
        ]

    def __str__(self):
        return f"{self.source} → {self.target}"


class ReadingList(RendersMarkdown):
    MARKDOWN_FIELDS = {"description": "description_html"}

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(
        blank=True, validators=MARKDOWN, help_text="Who the list is for and what they will learn (Markdown)."
    )
    description_html = html_field()
    for_new_hires = models.BooleanField(
        default=True, help_text="Offered on the home page to readers who have not finished it."
    )
    position = models.PositiveIntegerField(default=0, help_text="Lists are shown in this order.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RenderedMarkdownQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reading_list_detail", args=[self.slug])


class ReadingListItem(RendersMarkdown):
    MARKDOWN_FIELDS = {"note": "note_html"}

    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="items")
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="reading_list_items")
    position = models.PositiveIntegerField(default=0, help_text="Items are read in this order.")
    note = models.TextField(
        blank=True, validators=MARKDOWN, help_text="Why this write-up is on the list; what to look for."
    )
    note_html = html_field()

    objects = RenderedMarkdownQuerySet.as_manager()

    class Meta:
        ordering = ["reading_list", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "postmortem"], name="one_item_per_postmortem_per_list")
        ]

    def __str__(self):
        return f"{self.reading_list}: {self.postmortem}"


class ReadMark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks")
    item = models.ForeignKey(ReadingListItem, on_delete=models.CASCADE, related_name="read_marks")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="one_read_mark_per_item")]

    def __str__(self):
        return f"{self.user} read {self.item}"


class SearchDocument(models.Model):
    """One post-mortem's text as the search engine sees it, plus tokens for who may see it and its facets.

    Written by knowledge.search.index_postmortem in the same transaction as every save. The engine's
    structures hang off this table: on PostgreSQL generated tsvector columns with GIN indexes; on
    SQLite an FTS5 external-content table kept in step by triggers (migration 0003). `facets` holds
    tokens such as `pub` (published and open), `au12` (authored by user 12), `tg5` (tag 5), so the
    engine's own index answers visibility and filters without reading any row.
    """

    postmortem = models.OneToOneField(
        PostMortem, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField()
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Sections, timeline, contributing factors and action items.")
    facets = models.TextField(blank=True, default="")
    keywords = models.TextField(
        blank=True, default="", help_text="Tag, team and factor category names: searched and weighted like the title."
    )

    def __str__(self):
        return self.title


class SearchFacts(models.Model):
    """The facts that facet and sort a post-mortem's search results, in a narrow row that is cheap to read."""

    postmortem = models.OneToOneField(
        PostMortem, on_delete=models.CASCADE, primary_key=True, related_name="search_facts"
    )
    status = models.CharField(max_length=12)
    restricted = models.BooleanField(default=False)
    severity = models.CharField(max_length=4)
    occurred_at = models.DateTimeField(help_text="When the incident started (or the write-up was created).")
    year = models.PositiveSmallIntegerField()
    tag_ids = models.JSONField(default=list)
    team_ids = models.JSONField(default=list)
    category_ids = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "search facts"
        indexes = [models.Index(fields=["-occurred_at"], name="search_facts_newest_idx")]

    def __str__(self):
        return f"Facts of post-mortem {self.postmortem_id}"


class SearchTerm(models.Model):
    """A word that occurs in some post-mortem, for "did you mean" suggestions."""

    word = models.CharField(max_length=40, unique=True)

    def __str__(self):
        return self.word


class Synonym(models.Model):
    """Words and phrases that mean the same to a search (k8s, kubernetes): a query for one finds them all.

    Applied when a search runs (knowledge.search), on both engines; nothing needs re-indexing.
    """

    terms = models.CharField(
        max_length=300, unique=True,
        help_text="Two or more words or phrases, separated by commas, e.g. “oom, out of memory”. A search for "
        "any of them finds all of them. Lower case; punctuation inside a term separates words.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why these belong together (optional).")

    class Meta:
        ordering = ["terms"]

    def __str__(self):
        return self.terms

    def members(self) -> list[tuple[str, ...]]:
        """Return the distinct terms, each as its lower-case words."""
        return list(dict.fromkeys(words for words in (_synonym_words(t) for t in self.terms.split(",")) if words))

    def clean(self):
        members = self.members()
        if len(members) < 2:
            raise ValidationError({"terms": "Give at least two different words or phrases, separated by commas."})
        if any(len(words) > 4 for words in members):
            raise ValidationError({"terms": "A phrase can have at most four words."})
        self.terms = ", ".join(" ".join(words) for words in members)
        for other in Synonym.objects.exclude(pk=self.pk):
            if set(other.members()) == set(members):
                raise ValidationError({"terms": f"These synonyms already exist: “{other.terms}”."})


def _synonym_words(term: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in re.findall(r"\w+", term))
