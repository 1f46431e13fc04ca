"""The editor's formset rows, rendered in Python.

A long post-mortem has thousands of rows (2,000 timeline events is a pasted chat log). Django's
widget templates cost about 5 ms a row, 12 s for such a page; building the same markup here costs
a few hundredths of that. The markup matches includes/_field.html, which still renders every
other field; a row with a conflict panel renders the panel through its template.
"""

import html
from functools import lru_cache

from django import forms, template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def escape(value) -> str:
    # Django's escape() checks every argument for lazy strings; at thousands of rows that check
    # costs more than the escaping itself.
    return html.escape(str(value), quote=True)


@lru_cache(maxsize=64)
def _options(choices: tuple) -> tuple[tuple[str, str, str], ...]:
    """Return (value, <option> markup without "selected") for each choice, escaped once."""
    out = []
    for option_value, label in choices:
        key = "" if option_value is None else str(option_value)
        out.append((key, f'<option value="{escape(key)}"', f">{escape(label)}</option>"))
    return tuple(out)


def _attrs(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(f" {key}" if value is True else f' {key}="{escape(value)}"')
    return "".join(parts)


def _widget(bf, extra: dict) -> str:
    widget = bf.field.widget
    attrs = {**widget.attrs, "name": bf.html_name, "id": bf.auto_id or None, **extra}
    value = bf.value()
    if isinstance(widget, forms.CheckboxInput):
        return f'<input type="checkbox"{_attrs({**attrs, "checked": bool(widget.check_test(value))})}>'
    if isinstance(widget, forms.Select):
        chosen = "" if value is None else str(value)
        choices = _options(tuple(bf.field.choices))
        options = "".join(start + (" selected" if key == chosen else "") + end for key, start, end in choices)
        return f"<select{_attrs(attrs)}>{options}</select>"
    if isinstance(widget, forms.Textarea):
        text = widget.format_value(value) or ""
        return f"<textarea{_attrs(attrs)}>\n{escape(text)}</textarea>"
    shown = widget.format_value(value)
    return f'<input type="{widget.input_type}"{_attrs({**attrs, "value": shown})}>'


def field_html(bf) -> str:
    """Return a field as includes/_field.html would render it."""
    if isinstance(bf.field.widget, forms.HiddenInput):
        return _widget(bf, {})
    errors = bf.errors
    help_id = f"{bf.id_for_label}-help" if bf.help_text else None
    extra = {"aria-describedby": help_id, "aria-invalid": "true" if errors else None}
    checkbox = isinstance(bf.field.widget, forms.CheckboxInput)
    classes = "field" + (" field--error" if errors else "") + (" field--checkbox" if checkbox else "")
    classes += f" field--{bf.name}"
    label = escape(bf.label)
    if checkbox:
        inner = f'<label class="checkbox" for="{bf.id_for_label}">{_widget(bf, extra)} {label}</label>'
    else:
        star = ' <span class="required" aria-hidden="true">*</span>' if bf.field.required else ""
        inner = f'<label for="{bf.id_for_label}">{label}{star}</label>{_widget(bf, extra)}'
    if bf.help_text:
        inner += f'<span class="help" id="{help_id}">{escape(bf.help_text)}</span>'
    if errors:
        items = "".join(f"<li>{escape(e)}</li>" for e in errors)
        inner += f'<ul class="errorlist" role="alert">{items}</ul>'
    panel = getattr(bf.form, "conflict_panels", {}).get(bf.name)
    if panel:
        inner += render_to_string("postmortems/includes/_conflict.html", {"panel": panel})
    return f'<div class="{classes}">{inner}</div>'


# Shown instead of the checkbox when the editor's script runs (see editor.css).
REMOVE_BUTTON = (
    '<button type="button" class="button button--small button--danger formset-row__remove" '
    "data-formset-remove>Remove</button>"
)


@register.simple_tag
def editor_row(form, prefix: str, row_label: str, number: int):
    """Return one formset row (a fieldset) of the editor, the `number`th."""
    legend = f"{row_label} {number}"
    row_classes = "formset-row"
    if form.errors:
        row_classes += " formset-row--error"
    if getattr(form, "row_conflict", None):
        row_classes += " formset-row--conflict"
    parts = [f'<fieldset class="{row_classes}" data-formset-row>',
             f'<legend class="visually-hidden">{escape(legend)}</legend>',
             field_html(form["id"])]
    if getattr(form, "row_conflict", None):
        parts.append(render_to_string("postmortems/includes/_conflict.html", {"panel": form.row_conflict}))
    if form.non_field_errors():
        parts.append(format_html('<div class="form-errors" role="alert">{}</div>', form.non_field_errors()))
    fields = "".join(field_html(form[name]) for name in form.fields if name not in ("id", "DELETE"))
    parts.append(f'<div class="formset-row__fields formset-row__fields--{prefix}">{fields}</div>')
    if "DELETE" in form.fields:
        box = _widget(form["DELETE"], {})
        noun = escape(row_label.lower())
        parts.append(f'<label class="checkbox formset-row__delete">{box} Remove this {noun}</label>')
        parts.append(REMOVE_BUTTON)
    parts.append("</fieldset>")
    return mark_safe("".join(parts))
