"""The admin's autocomplete widgets, safe to re-render a refused form whatever was sent."""

from django.contrib.admin import widgets
from django.core.exceptions import ValidationError


class _SentValuesMixin:
    """Show again only the sent values the related column can read.

    Django looks every sent value up as an id when it re-renders a refused form; a value that is no
    number ("²", a NUL character) made that lookup raise ValueError, a 500 instead of the form's errors.
    """

    def optgroups(self, name, value, attr=None):
        remote_opts = self.field.remote_field.model._meta
        target = remote_opts.get_field(getattr(self.field.remote_field, "field_name", remote_opts.pk.attname))
        readable = []
        for item in value:
            try:
                target.to_python(item)
            except (ValidationError, ValueError, TypeError, OverflowError):
                continue
            readable.append(item)
        return super().optgroups(name, readable, attr)


class AutocompleteSelect(_SentValuesMixin, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_SentValuesMixin, widgets.AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """For ModelAdmins and inlines with autocomplete_fields: use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
