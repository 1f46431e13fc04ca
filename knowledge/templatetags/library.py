"""Template tags that let the write-up and the editor include the library's partials with one line."""

from django import template

from knowledge import services

register = template.Library()


@register.simple_tag(takes_context=True)
def related_for(context, postmortem):
    """Return related_context(postmortem, user): explicit links and similar incidents the user may see."""
    return services.related_context(postmortem, context["request"].user)


@register.simple_tag(takes_context=True)
def links_for(context, postmortem):
    """Return the explicit links of `postmortem` whose other end the user may see."""
    return services.related_links(postmortem, context["request"].user)


@register.simple_tag(takes_context=True)
def unfinished_lists(context):
    """Return the new-hire reading lists the signed-in user has not finished (for the home page)."""
    return services.unfinished_reading_lists(context["request"].user)
