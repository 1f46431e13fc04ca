import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from markdownx.widgets import MarkdownxWidget
from taggit.forms import TagWidget

from postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    PostMortem,
    Profile,
    Section,
    Severity,
    Team,
    Template,
    TimelineEvent,
    validate_incident_time,
)
from postmortems.roles import is_facilitator

User = get_user_model()


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def people():
    """Return the users who can author or own follow-up work (everyone in a role group)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=["Authors", "Facilitators"]) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class NewPostMortemForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=Template.objects.filter(is_active=True), widget=forms.RadioSelect, empty_label=None
    )
    title = forms.CharField(
        max_length=200, help_text="What happened, in a few words: “Checkout timeouts after cache flush”."
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    started_at = forms.DateTimeField(
        label="Incident started", widget=DateTimeLocalInput(), help_text="In your time zone.",
        validators=[validate_incident_time],
    )
    restricted = forms.BooleanField(
        required=False, label="Restricted", help_text="Only authors and facilitators will see it (security incidents)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first = self.fields["template"].queryset.first()
        if first and "template" not in self.initial:
            self.initial["template"] = first.pk


class PostMortemForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    authors = UserMultipleChoiceField(
        queryset=User.objects.none(), required=True, widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Credit for the write-up. Hold Ctrl or ⌘ to choose several.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PostMortem
        fields = [
            "title", "summary", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at",
            "teams", "tags", "authors", "restricted",
        ]
        widgets = {
            "summary": forms.Textarea(
                attrs={"rows": 3, "data-coach-location": "summary", "data-coach-kind": "summary"}
            ),
            "started_at": DateTimeLocalInput(),
            "detected_at": DateTimeLocalInput(),
            "mitigated_at": DateTimeLocalInput(),
            "resolved_at": DateTimeLocalInput(),
            "tags": TagWidget(attrs={"autocomplete": "off", "data-tag-autocomplete": "/tags/autocomplete/"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authors"].queryset = people()
        self.fields["started_at"].required = True
        for name in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            # The model checks this too; checked here first, a far-off year is named as such rather
            # than as "before it started".
            self.fields[name].validators.append(validate_incident_time)
        if self.instance.restricted and not (user is not None and is_facilitator(user)):
            # Authors may restrict but not lift (services.check_restriction_change): a disabled field
            # keeps the stored value whatever is posted.
            self.fields["restricted"].disabled = True
            self.fields["restricted"].help_text = (
                "Restricted: only its authors and facilitators see it. Only a facilitator can lift the restriction."
            )
        self.fields["summary"].label = "Short summary"
        self.fields["summary"].help_text = "Two or three sentences, shown in lists, search results and feeds."
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        start = data.get("started_at")
        order = [("detected_at", "detected"), ("mitigated_at", "mitigated"), ("resolved_at", "resolved")]
        for field, label in order:
            value = data.get(field)
            if start and value and value < start:
                self.add_error(field, f"The incident cannot be {label} before it started.")
        detected, mitigated, resolved = data.get("detected_at"), data.get("mitigated_at"), data.get("resolved_at")
        if mitigated and resolved and resolved < mitigated:
            self.add_error("resolved_at", "Resolution comes after mitigation.")
        if detected and resolved and resolved < detected:
            self.add_error("resolved_at", "Resolution comes after detection.")
        return data


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        section = self.instance
        self.fields["body"].label = section.heading
        self.fields["body"].help_text = section.guidance
        self.fields["body"].widget = MarkdownxWidget(
            attrs={
                "rows": 8,
                "data-coach-location": f"section:{section.pk}",
                "data-coach-kind": section.kind,
                "aria-describedby": f"guidance-{section.pk}",
            }
        )


SectionFormSet = forms.modelformset_factory(Section, form=SectionForm, extra=0, can_delete=False)


class TimelineEventForm(forms.ModelForm):
    class Meta:
        model = TimelineEvent
        fields = ["occurred_at", "kind", "description", "evidence_url"]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 2, "data-coach-kind": "timeline"}),
            "evidence_url": forms.URLInput(attrs={"placeholder": "https://…"}),
        }


class ContributingFactorForm(forms.ModelForm):
    class Meta:
        model = ContributingFactor
        fields = ["category", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "data-coach-kind": "factor"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = FactorCategory.objects.all()


class ActionItemForm(forms.ModelForm):
    owner = UserChoiceField(queryset=User.objects.none(), required=False, help_text="Who follows this up.")

    class Meta:
        model = ActionItem
        fields = [
            "title", "description", "kind", "priority", "owner", "due_date", "status", "wont_do_reason",
            "tracker_url",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"data-coach-kind": "action_item"}),
            "description": forms.Textarea(attrs={"rows": 2, "data-coach-kind": "action_item"}),
            "due_date": DateInput(),
            "wont_do_reason": forms.TextInput(),
            "tracker_url": forms.URLInput(attrs={"placeholder": "https://…"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()

    def save(self, commit=True):
        item = super().save(commit=False)
        status, reason = item.status, item.wont_do_reason
        if self.instance.pk is None or "status" in self.changed_data or "wont_do_reason" in self.changed_data:
            item.set_status(status, reason)
        if commit:
            item.save()
        return item


def _formset(model, form):
    return forms.inlineformset_factory(PostMortem, model, form=form, extra=1, can_delete=True)


TimelineEventFormSet = _formset(TimelineEvent, TimelineEventForm)
ContributingFactorFormSet = _formset(ContributingFactor, ContributingFactorForm)
ActionItemFormSet = _formset(ActionItem, ActionItemForm)


class SendBackForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What needs another look? The authors see this comment in the history.",
    )


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    reason = forms.CharField(required=False, max_length=2000, label="Reason (for won't do)")

    def clean(self):
        data = super().clean()
        if data.get("status") == ActionStatus.WONT_DO and not data.get("reason", "").strip():
            self.add_error("reason", "Say why this will not be done.")
        return data


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        required=False, label="Your time zone", help_text="Times everywhere in Hindsight are shown in this zone."
    )

    class Meta:
        model = Profile
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        self.fields["time_zone"].choices = [("", "Server default")] + [(z, z) for z in zones]
