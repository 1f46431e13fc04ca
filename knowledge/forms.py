from django import forms


class RelatedLinkForm(forms.Form):
    """Link a write-up to another one, named by its address or slug (the form on the editor page)."""

    target = forms.CharField(
        max_length=300, label="Write-up to link",
        error_messages={"required": "Say which write-up to link: its address or slug."},
    )
    note = forms.CharField(max_length=200, required=False)

    def error_text(self) -> str:
        """Return every error as one sentence for a message (the form lives on another page)."""
        return " ".join(f"{self.fields[name].label or name.title()}: {error}"
                        for name, errors in self.errors.items() for error in errors)
