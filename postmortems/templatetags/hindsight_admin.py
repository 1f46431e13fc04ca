"""Template tags for the facilitator's desk."""

import copy

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode

from postmortems.models import incident_time_bounds

register = template.Library()


def bounded_date_hierarchy(cl):
    """Return Django's date drill-down over the rows whose date lies from 1970 to a year ahead.

    Django converts the dates to the reader's time zone in the database to list years, months and
    days; a date stored out of range (year 1, year 9999) overflows there. Such rows stay in the
    list below; only the drill-down leaves them out.
    """
    within = copy.copy(cl)
    within.queryset = cl.queryset.filter(**{f"{cl.date_hierarchy}__range": incident_time_bounds()})
    return date_hierarchy(within)


@register.tag(name="bounded_date_hierarchy")
def bounded_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(parser, token, func=bounded_date_hierarchy, template_name="date_hierarchy.html",
                              takes_context=False)
