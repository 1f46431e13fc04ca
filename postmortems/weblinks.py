"""Links that Hindsight stores and puts in `href`: web links (http and https) only.

Every stored URL (an action item's tracker link, a timeline event's evidence link, and any later
one) is a `WebURLField`, so the editor, the admin and the importer refuse the same values with the
same message, and templates go through the `web_link` filter, which makes a link only of a web URL.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

WEB_URL_MESSAGE = "Enter a web link that starts with https:// or http://."

# What a browser strips before it reads a URL's scheme: C0 control characters and spaces at either end.
_BROWSER_TRIM = "".join(chr(c) for c in range(0x21))
# After trimming, a web URL starts with its scheme and holds no whitespace or control character
# (browsers drop tabs and newlines inside a URL, which is how "java\nscript:" slips past naive checks).
_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_url_syntax = URLValidator(schemes=["http", "https"])


def web_url(value) -> str:
    """Return `value` trimmed as a browser would if it is then an http(s) URL, else ""."""
    if not isinstance(value, str):
        return ""
    trimmed = value.strip(_BROWSER_TRIM)
    return trimmed if _WEB_URL.fullmatch(trimmed) else ""


def validate_web_url(value: str) -> None:
    """Refuse anything but a well-formed http or https URL (javascript:, data:, ftp:, mailto: …)."""
    if not isinstance(value, str) or web_url(value) != value:
        raise ValidationError(WEB_URL_MESSAGE, code="invalid_scheme")
    try:
        _url_syntax(value)
    except ValidationError:
        raise ValidationError(WEB_URL_MESSAGE, code="invalid") from None


def removed_link_note(label: str, value: str) -> str:
    """Return the plain-text line that keeps a refused link visible in the text it belonged to."""
    return f"{label} link removed (not http/https): {value}"


def move_refused_link(obj, url_field: str, text_field: str, label: str) -> bool:
    """Clear `obj.<url_field>` unless it is a web URL, keeping it as a note in `obj.<text_field>`; return
    whether it was moved. The rule of the migration that cleaned stored links, for rows that arrive later
    (an archive written before it)."""
    value = getattr(obj, url_field)
    if not value:
        return False
    if web_url(value):
        setattr(obj, url_field, web_url(value))
        return False
    text = getattr(obj, text_field).rstrip()
    note = removed_link_note(label, value)
    setattr(obj, text_field, f"{text}\n\n{note}" if text else note)
    setattr(obj, url_field, "")
    return True


class WebURLFormField(forms.URLField):
    default_validators = [validate_web_url]
    default_error_messages = {"invalid": WEB_URL_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class WebURLField(models.URLField):
    """A URLField that holds http and https URLs only, checked wherever the model is validated."""

    default_validators = [validate_web_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})
