"""Markdown stored beside its HTML: pages, feeds and exports show the stored HTML, never parse.

Each model with Markdown fields names them in MARKDOWN_FIELDS ({source: html field}). Every write
renders the changed sources through the one sanitising renderer (postmortems/markdown.py) in the
same statement that stores them: `save()` (all fields, or the sources among `update_fields`), and
the QuerySet's `bulk_create` and `bulk_update` (the services, the importer, the demo and the archive
write rows in bulk). `.update(field=...)` on a Markdown field would bypass it; nothing does that.

After a renderer change, `manage.py rerender_markdown` brings every stored HTML up to date.
"""

from django.db import models

from postmortems.markdown import render_markdown


def render_into(obj, sources=None) -> list[str]:
    """Render `obj`'s Markdown `sources` (default: all) into their HTML fields; return the HTML field names."""
    names = []
    for source, target in type(obj).MARKDOWN_FIELDS.items():
        if sources is None or source in sources:
            setattr(obj, target, str(render_markdown(getattr(obj, source) or "")))
            names.append(target)
    return names


class RenderedMarkdownQuerySet(models.QuerySet):
    """Bulk writes that store each Markdown source's HTML with it."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            render_into(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        sources = [name for name in self.model.MARKDOWN_FIELDS if name in fields]
        if sources:
            for obj in objs:
                render_into(obj, sources)
            targets = [self.model.MARKDOWN_FIELDS[name] for name in sources]
            fields += [name for name in targets if name not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)


class RendersMarkdown(models.Model):
    """A model whose MARKDOWN_FIELDS are stored with their sanitised HTML (see the module docstring)."""

    MARKDOWN_FIELDS: dict[str, str] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            render_into(self)
        else:
            sources = [name for name in self.MARKDOWN_FIELDS if name in update_fields]
            if sources:
                kwargs["update_fields"] = [*update_fields, *render_into(self, sources)]
        super().save(*args, **kwargs)


def html_field() -> models.TextField:
    return models.TextField(blank=True, default="", editable=False,
                            help_text="Sanitised HTML of the Markdown beside it, stored when that is saved.")


def rerender(model, fields: dict[str, str] | None = None, *, batch_size: int = 500) -> int:
    """Re-render every row's Markdown `fields` ({source: html field}; default: the model's own) and
    store the HTML that differs; return how many rows changed. Also used by migrations (historical
    models, which know no MARKDOWN_FIELDS: they pass `fields`)."""
    fields = fields or model.MARKDOWN_FIELDS
    changed, pending = 0, []
    rows = model._base_manager.order_by("pk").only("pk", *fields, *fields.values())
    for row in rows.iterator(chunk_size=batch_size):
        stale = False
        for source, target in fields.items():
            html = str(render_markdown(getattr(row, source) or ""))
            if getattr(row, target) != html:
                setattr(row, target, html)
                stale = True
        if stale:
            pending.append(row)
        if len(pending) >= batch_size:
            changed += _store(model, pending, fields)
    return changed + _store(model, pending, fields)


def _store(model, rows: list, fields: dict[str, str]) -> int:
    # models.QuerySet's own bulk_update: the HTML is already rendered.
    models.QuerySet(model).bulk_update(rows, list(fields.values()))
    count = len(rows)
    rows.clear()
    return count
