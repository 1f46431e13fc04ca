from datetime import UTC, timedelta

from django import template
from django.utils.html import format_html

from postmortems.weblinks import web_url

register = template.Library()


@register.filter
def web_link(url, label=""):
    """Return a stored URL as a link only when it is an http(s) URL; anything else as plain text.

    `{{ item.tracker_url|web_link:"Tracker" }}` gives <a href="…">Tracker</a>, or "Tracker: javascript:…"
    as text: no other scheme ever reaches an href, however it is spelt.
    """
    if not url:
        return ""
    href = web_url(url)
    if href:
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', href, label or href)
    return format_html('<span class="link-refused">{}{}</span>', f"{label}: " if label else "", url)


@register.filter
def duration(value: timedelta | None) -> str:
    """Return a duration in human units: '2 h 5 min', '3 d 4 h', '45 s'."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [f"{days} d", f"{hours} h" if hours else ""]
    elif hours:
        parts = [f"{hours} h", f"{minutes} min" if minutes else ""]
    elif minutes:
        parts = [f"{minutes} min"]
    else:
        parts = [f"{secs} s"]
    return sign + " ".join(p for p in parts if p)


@register.filter
def offset(when, start) -> str:
    """Return `when` as an offset from `start`: 'T+00:05', 'T+1d 02:00', 'T−00:10'."""
    if when is None or start is None:
        return ""
    minutes = int((when.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    day_part = f"{days}d " if days else ""
    return f"T{sign}{day_part}{hours:02d}:{mins:02d}"


@register.filter
def is_overdue(item, today=None) -> bool:
    return item.is_overdue(today)


@register.filter
def conflict_panel(bound_field):
    """Return the conflict panel the editor attached to this field, if any."""
    return getattr(bound_field.form, "conflict_panels", {}).get(bound_field.name)
