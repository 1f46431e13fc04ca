from django import template

register = template.Library()


@register.inclusion_tag("postmortems/includes/_editor_threads.html", takes_context=True)
def editor_threads(context, threads_by_part, kind, pk):
    """Show the open threads on one part of a post-mortem, read-only, beside it in the editor."""
    return {"threads": (threads_by_part or {}).get((kind, pk), []), "pm": context.get("pm")}


@register.inclusion_tag("postmortems/includes/_editor_threads.html", takes_context=True)
def editor_threads_of_kind(context, threads_by_part, kind):
    """Show the open threads on every row of one kind (timeline events, factors, action items) in the editor."""
    threads = [t for (k, _), ts in sorted((threads_by_part or {}).items(), key=lambda kv: str(kv[0]))
               if k == kind for t in ts]
    return {"threads": threads, "pm": context.get("pm"), "about_rows": True}
