from django import forms

from postmortems.models import Delivery, NotificationKind

# The weekly digest is not sent yet: it is not offered until it is.
OFFERED = [(value, label) for value, label in Delivery.choices if value != Delivery.DIGEST]


class NotificationPreferencesForm(forms.Form):
    """How a person hears of each kind of notification: by email, in the inbox only, or in the weekly digest."""

    def __init__(self, *args, initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=OFFERED, initial=initial_choices[kind.value],
            )

    def choices(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
