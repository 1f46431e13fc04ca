"""The editor's forms: starting a post-mortem, the document editor (rows of sections, timeline, factors
and action items, read back into the editor's document), review and status forms, the profile.

Over 500 lines on purpose: nearly all of it is the one editor form and the formsets it is made of,
which turn a POST into the document postmortems.services.postmortem_save takes; they change together.
"""

import copy
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from markdownx.widgets import MarkdownxWidget
from taggit.forms import TagField, TagWidget
from taggit.utils import edit_string_for_tags

from postmortems.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    EventKind,
    FactorCategory,
    PostMortem,
    Priority,
    Profile,
    Section,
    Severity,
    Team,
    Template,
    TimelineEvent,
    TokenScope,
    check_wont_do_reason,
    validate_incident_time,
)
from postmortems.roles import is_facilitator
from postmortems.weblinks import WebURLFormField

User = get_user_model()


def model_validators(model, name: str) -> list:
    """Return the validators of `model`'s field `name`, so a plain form checks what the model checks."""
    return list(model._meta.get_field(name).validators)


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


# A tag is a short label; taggit's columns hold 100 characters and its slugs need room for a suffix.
TAG_MAX_LENGTH = 50


def validate_tag_names(names) -> None:
    """Refuse tags longer than TAG_MAX_LENGTH, naming the first one."""
    too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
    if too_long:
        name = too_long[0]
        raise forms.ValidationError(
            "Tags are at most %(limit)s characters: “%(start)s…” has %(length)s.",
            params={"limit": TAG_MAX_LENGTH, "start": name[:20], "length": f"{len(name):,}"}, code="tag_too_long",
        )


def people():
    """Return the users who can author or own follow-up work (everyone in a role group)."""
    # Subqueries rather than joins: no DISTINCT over every user's columns.
    in_role = User.groups.through.objects.filter(group__name__in=["Authors", "Facilitators"]).values("user_id")
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=in_role) | Q(is_superuser=True))
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


# --- The editor: plain forms over a document (postmortems/documents.py) ---------------------------
#
# The editor's forms are not bound to database rows: they start from a document and give one back,
# so a row another tab removed is neither brought back nor silently dropped (the merge decides).
# The limits below match DATA_UPLOAD_MAX_NUMBER_FIELDS in config/settings.py.

MAX_SECTIONS = 200
MAX_EVENTS = 3000
MAX_FACTORS = 500
MAX_ACTION_ITEMS = 500


class EditorChoices:
    """What the editor's selects offer, read once per request whatever the number of rows.

    People are everyone in a role, plus whoever the post-mortem (or the text being edited) already
    credits or gives follow-up work to, so that saving never drops an author or an owner who has
    since left their role.
    """

    def __init__(self, postmortem=None, usernames=()):
        chosen = people()
        if postmortem is not None:
            credited = PostMortem.authors.through.objects.filter(postmortem=postmortem).values("user_id")
            owners = ActionItem.objects.filter(postmortem=postmortem, owner__isnull=False).values("owner_id")
            chosen = User.objects.filter(
                Q(pk__in=people().values("pk")) | Q(pk__in=credited) | Q(pk__in=owners)
                | Q(username__in=list(usernames))
            ).order_by("first_name", "last_name", "username")
        self.teams = list(Team.objects.values_list("pk", "name"))
        self.people = [(u.pk, u.username, u.get_full_name() or u.username) for u in chosen]
        self.categories = list(FactorCategory.objects.values_list("pk", "name"))
        self.team_name = dict(self.teams)
        self.team_pk = {name: pk for pk, name in self.teams}
        self.username = {pk: username for pk, username, _ in self.people}
        self.user_pk = {username: pk for pk, username, _ in self.people}
        self.person_label = {username: label for _, username, label in self.people}
        self.category_name = dict(self.categories)
        self.category_pk = {name: pk for pk, name in self.categories}
        self.owner_choices = [("", "---------")] + [(pk, label) for pk, _, label in self.people]
        self.category_choices = [("", "---------")] + self.categories


class EditorForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    amendment = forms.IntegerField(widget=forms.HiddenInput, required=False)  # which text was loaded
    conflicts = forms.CharField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        label="Short summary", required=False, validators=model_validators(PostMortem, "summary"),
        help_text="Two or three sentences, shown in lists, search results and feeds.",
        widget=forms.Textarea(attrs={"rows": 3, "data-coach-location": "summary", "data-coach-kind": "summary"}),
    )
    severity = forms.ChoiceField(choices=Severity.choices)
    started_at = forms.DateTimeField(
        label="Incident started", widget=DateTimeLocalInput(), validators=[validate_incident_time]
    )
    detected_at = forms.DateTimeField(
        label="Detected", required=False, widget=DateTimeLocalInput(), validators=[validate_incident_time]
    )
    mitigated_at = forms.DateTimeField(
        label="Mitigated", required=False, widget=DateTimeLocalInput(), validators=[validate_incident_time]
    )
    resolved_at = forms.DateTimeField(
        label="Resolved", required=False, widget=DateTimeLocalInput(), validators=[validate_incident_time]
    )
    teams = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    authors = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Credit for the write-up. Hold Ctrl or ⌘ to choose several.",
    )
    tags = TagField(
        required=False, help_text="Services, failure modes and themes, comma-separated; each at most 50 characters.",
        widget=TagWidget(attrs={"autocomplete": "off", "data-tag-autocomplete": reverse_lazy("tag_autocomplete")}),
    )
    restricted = forms.BooleanField(
        required=False, label="Restricted",
        help_text="Visible only to its authors and facilitators (security incidents, for example).",
    )

    def __init__(self, *args, choices: EditorChoices, restriction_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_panels = {}
        self.fields["teams"].choices = choices.teams
        self.fields["authors"].choices = [(pk, label) for pk, _, label in choices.people]
        if restriction_locked:
            # Authors may restrict but not lift (services.check_restriction_change): a disabled field
            # keeps the stored value whatever is posted.
            self.fields["restricted"].disabled = True
            self.fields["restricted"].help_text = (
                "Restricted: only its authors and facilitators see it. Only a facilitator can lift the restriction."
            )

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        validate_tag_names(tags)
        return tags

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


class SectionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(required=False, validators=model_validators(Section, "body"))

    def __init__(self, *args, section=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_panels = {}
        self.section = section
        key = section.pk if section else "new"
        self.fields["body"].label = section.heading if section else "Section"
        self.fields["body"].help_text = section.guidance if section else ""
        self.fields["body"].widget = MarkdownxWidget(
            attrs={
                "rows": 8,
                "data-coach-location": f"section:{key}",
                "data-coach-kind": section.kind if section else "narrative",
                "aria-describedby": f"guidance-{key}",
            }
        )


class _SharedFields(dict):
    """Fields every row of a formset shares: a form copies its fields on creation, which for
    thousands of rows costs more than everything else together. The fields are never changed
    per row (choices are set once per request, in `_row_form`)."""

    def __deepcopy__(self, memo):
        return dict(self)


def _row_form(form_class, **choices):
    """Return a subclass of `form_class` whose rows share one set of fields, with these choices."""
    fields = dict(form_class.base_fields)
    for name, values in choices.items():
        fields[name] = copy.deepcopy(fields[name])
        fields[name].choices = values
    subclass = type(form_class.__name__, (form_class,), {})
    subclass.base_fields = _SharedFields(fields)
    return subclass


class RowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_panels = {}
        self.row_conflict = None

    def has_changed(self) -> bool:
        # Only a new row (beyond the rows the page was given) may be left blank and skipped; for
        # the others the answer is never used, and working it out cleans every field twice.
        return True if not self.empty_permitted else super().has_changed()

    @property
    def row_id(self) -> int | None:
        value = self["id"].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None


class TimelineRowForm(RowForm):
    # A text box, not a date-time picker: Chromium builds a picker from 32 elements (a timeline of
    # 2,000 events took seconds to show), and times copied from a chat log are quicker typed.
    occurred_at = forms.DateTimeField(
        label="When", help_text="", widget=forms.DateTimeInput(
            format="%Y-%m-%d %H:%M", attrs={"placeholder": "2024-03-01 14:05",
                                            "autocomplete": "off", "class": "input--when"}),
        validators=[validate_incident_time],
    )
    kind = forms.ChoiceField(choices=EventKind.choices, initial=EventKind.OBSERVATION)
    description = forms.CharField(
        label="What happened", widget=forms.Textarea(attrs={"rows": 2, "data-coach-kind": "timeline"}),
        validators=model_validators(TimelineEvent, "description"),
    )
    evidence_url = WebURLFormField(
        label="Evidence link", max_length=500, required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )


class FactorRowForm(RowForm):
    category = forms.TypedChoiceField(coerce=int, empty_value=None)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "data-coach-kind": "factor"}),
        validators=model_validators(ContributingFactor, "description"),
    )


class ActionRowForm(RowForm):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"data-coach-kind": "action_item"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "data-coach-kind": "action_item"}),
        validators=model_validators(ActionItem, "description"),
    )
    kind = forms.ChoiceField(choices=ActionKind.choices, initial=ActionKind.PREVENT)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)
    owner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, help_text="Who follows this up.")
    due_date = forms.DateField(required=False, widget=DateInput())
    status = forms.ChoiceField(choices=ActionStatus.choices, initial=ActionStatus.OPEN)
    wont_do_reason = forms.CharField(label="Reason for won't do", required=False, widget=forms.TextInput())
    tracker_url = WebURLFormField(
        label="Tracker link", max_length=500, required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )

    def clean(self):
        data = super().clean()
        try:
            check_wont_do_reason(data.get("status"), data.get("wont_do_reason"))
        except forms.ValidationError as error:
            self.add_error(None, error)
        return data


class RowFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": "At most %(num)d rows can be saved here at once.",
    }
    collection_conflict = None

    def kept_forms(self) -> list:
        """Return the valid forms that hold a row to keep (not removed, not a blank new row)."""
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        return [f for f in self.forms if f.cleaned_data and id(f) not in deleted]


class SectionFormSet(forms.BaseFormSet):
    collection_conflict = None

    def __init__(self, *args, sections: dict, **kwargs):
        self.sections = sections
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        section_id = None
        if self.is_bound:
            section_id = self.data.get(self.add_prefix(index) + "-id")
        elif self.initial and index < len(self.initial):
            section_id = self.initial[index].get("id")
        try:
            return {"section": self.sections.get(int(section_id))}
        except (TypeError, ValueError):
            return {"section": None}


def _formset(form, maximum, *, extra=1):
    return forms.formset_factory(
        form, formset=RowFormSet, extra=extra, can_delete=True, max_num=maximum, absolute_max=maximum,
        validate_max=True,
    )


SectionsFormSet = forms.formset_factory(
    SectionForm, formset=SectionFormSet, extra=0, max_num=MAX_SECTIONS, absolute_max=MAX_SECTIONS
)

ROW_LABELS = {"sections": "Section", "timeline": "Event", "factors": "Factor", "action_items": "Action item"}
COLLECTION_LABELS = {"sections": "The write-up", "timeline": "Timeline", "factors": "Contributing factors",
                     "action_items": "Action items"}
FORM_FIELD = {"when": "occurred_at"}
DOC_FIELD = {"occurred_at": "when"}


def _text(value: str) -> str:
    return (value or "").replace("\r\n", "\n")


def _as_datetime(value):
    return datetime.fromisoformat(value) if value else None


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


@dataclass
class ConflictPanel:
    """One conflict as the editor shows it: their saved value beside mine, and the author's choice."""

    key: str
    kind: str
    label: str
    mine: str
    theirs: str
    theirs_value: str = ""
    choice: str = ""
    removed: str = ""  # for a row: "mine" or "theirs", the side that removed it
    anchor: str = ""

    @property
    def input_name(self) -> str:
        return f"resolve:{self.key}"

    @property
    def dom_id(self) -> str:
        return "conflict-" + self.key.replace(":", "-")


class Editor:
    """The editor's forms for one post-mortem, from a document or from a POST, and back to a document."""

    def __init__(self, postmortem, *, user=None, data=None, document: dict | None = None,
                 version: int | None = None, amendment=None, restricted: bool | None = None, conflicts=()):
        self.postmortem = postmortem
        # Authors may restrict but not lift a restriction (services.check_restriction_change).
        restriction_locked = postmortem.restricted and not (user is not None and is_facilitator(user))
        named = [*(document or {}).get("authors", []),
                 *(row.get("owner") for row in (document or {}).get("action_items", []) if row.get("owner"))]
        self.choices = EditorChoices(postmortem, named)
        self.section_info = {s.pk: s for s in postmortem.sections.all()}
        self.panels: list[ConflictPanel] = []
        conflict_keys = " ".join(c.key if hasattr(c, "key") else c for c in conflicts)
        for row in (document or {}).get("sections", []):
            if row.get("id") is not None and row["id"] not in self.section_info:
                self.section_info[row["id"]] = _DocumentSection(row["id"], heading=row.get("heading", ""))
        if data is None:
            initial = self._initial(document, version, restricted, conflict_keys)
            initial["main"]["amendment"] = amendment.pk if amendment else None
        else:
            initial = {"main": None, "sections": None, "events": None, "factors": None, "actions": None}
            self._add_posted_conflict_sections(data)
        c = self.choices
        main_initial = initial["main"] if data is None else {"restricted": postmortem.restricted}
        self.form = EditorForm(data, initial=main_initial, choices=c, restriction_locked=restriction_locked)
        self.sections = SectionsFormSet(data, initial=initial["sections"], prefix="sections",
                                        sections=self.section_info)
        self.events = _formset(_row_form(TimelineRowForm), MAX_EVENTS)(
            data, initial=initial["events"], prefix="events")
        self.factors = _formset(_row_form(FactorRowForm, category=c.category_choices), MAX_FACTORS)(
            data, initial=initial["factors"], prefix="factors")
        self.actions = _formset(_row_form(ActionRowForm, owner=c.owner_choices), MAX_ACTION_ITEMS)(
            data, initial=initial["actions"], prefix="actions")

    # Building

    def _add_posted_conflict_sections(self, data) -> None:
        """A section listed in a conflict may exist only in the text shown (someone removed it): accept it."""
        for key in (data.get("conflicts") or "").split():
            parts = key.split(":")
            if parts[0] == "sections" and len(parts) == 2 and parts[1].lstrip("-").isdigit():
                section_id = int(parts[1])
                self.section_info.setdefault(section_id, _DocumentSection(section_id))

    def _initial(self, doc: dict, version, restricted, conflict_keys) -> dict:
        c = self.choices
        main = {
            "version": version,
            "conflicts": conflict_keys,
            "title": doc["title"],
            "summary": doc["summary"],
            "severity": doc["severity"],
            **{key: _as_datetime(doc[key]) for key in ("started_at", "detected_at", "mitigated_at", "resolved_at")},
            "teams": [c.team_pk[name] for name in doc["teams"] if name in c.team_pk],
            "authors": [c.user_pk[name] for name in doc["authors"] if name in c.user_pk],
            "tags": edit_string_for_tags([SimpleNamespace(name=name) for name in doc["tags"]]),
            "restricted": self.postmortem.restricted if restricted is None else restricted,
        }
        return {
            "main": main,
            "sections": [{"id": row["id"], "body": row["body"]} for row in doc["sections"]],
            "events": [
                {"id": row["id"], "occurred_at": _as_datetime(row["when"]), "kind": row["kind"],
                 "description": row["description"], "evidence_url": row["evidence_url"]}
                for row in doc["timeline"]
            ],
            "factors": [
                {"id": row["id"], "category": c.category_pk.get(row["category"]), "description": row["description"]}
                for row in doc["factors"]
            ],
            "actions": [
                {**{f: row[f] for f in ("id", "title", "description", "kind", "priority", "status",
                                        "wont_do_reason", "tracker_url")},
                 "owner": c.user_pk.get(row["owner"]) if row["owner"] else None,
                 "due_date": date.fromisoformat(row["due_date"]) if row["due_date"] else None}
                for row in doc["action_items"]
            ],
        }

    # Reading a POST

    def formsets(self) -> list:
        return [self.sections, self.events, self.factors, self.actions]

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *(fs.is_valid() for fs in self.formsets())])

    @property
    def version(self) -> int:
        return self.form.cleaned_data["version"]

    @property
    def restricted(self) -> bool:
        return self.form.cleaned_data["restricted"]

    @property
    def amendment_id(self) -> int | None:
        return self.form.cleaned_data["amendment"]

    def conflict_keys(self) -> list[str]:
        raw = self.form.cleaned_data.get("conflicts", "") if hasattr(self.form, "cleaned_data") else ""
        return [key for key in (raw or "").split() if key]

    def resolutions(self) -> dict[str, str | None]:
        return {key: self.form.data.get(f"resolve:{key}") or None for key in self.conflict_keys()}

    def document(self) -> dict:
        """Return the document the valid forms describe."""
        c, main = self.choices, self.form.cleaned_data
        return {
            "title": main["title"],
            "summary": _text(main["summary"]),
            "severity": main["severity"],
            **{key: _iso(main[key]) for key in ("started_at", "detected_at", "mitigated_at", "resolved_at")},
            "teams": sorted(c.team_name[pk] for pk in main["teams"] if pk in c.team_name),
            "authors": sorted(c.username[pk] for pk in main["authors"] if pk in c.username),
            "tags": sorted(set(main["tags"])),
            "sections": [
                {"id": f.cleaned_data["id"], "heading": self.section_info[f.cleaned_data["id"]].heading,
                 "body": _text(f.cleaned_data["body"])}
                for f in self.sections.forms if f.cleaned_data.get("id") in self.section_info
            ],
            "timeline": [
                {"id": d["id"], "when": _iso(d["occurred_at"]), "kind": d["kind"],
                 "description": _text(d["description"]), "evidence_url": d["evidence_url"]}
                for d in (f.cleaned_data for f in self.events.kept_forms())
            ],
            "factors": [
                {"id": d["id"], "category": c.category_name.get(d["category"], ""),
                 "description": _text(d["description"])}
                for d in (f.cleaned_data for f in self.factors.kept_forms())
            ],
            "action_items": [
                {"id": d["id"], "title": d["title"], "description": _text(d["description"]), "kind": d["kind"],
                 "priority": d["priority"], "owner": c.username.get(d["owner"]) if d["owner"] else None,
                 "due_date": d["due_date"].isoformat() if d["due_date"] else None, "status": d["status"],
                 "wont_do_reason": _text(d["wont_do_reason"]).strip() if d["status"] == ActionStatus.WONT_DO else "",
                 "tracker_url": d["tracker_url"]}
                for d in (f.cleaned_data for f in self.actions.kept_forms())
            ],
        }

    # Conflicts

    def show_conflicts(self, keys, *, theirs: dict, mine: dict, chosen: dict | None = None) -> None:
        """Put a panel (theirs beside mine, with the choice) next to each conflicted field or row."""
        chosen = chosen or {}
        for key in keys:
            panel = self._panel(key, theirs, mine, chosen.get(key) or "")
            self.panels.append(panel)
            self._attach(panel)

    def _attach(self, panel: ConflictPanel) -> None:
        parts = panel.key.split(":")
        if len(parts) == 1 and parts[0] not in COLLECTION_LABELS:
            self.form.conflict_panels[parts[0]] = panel
            panel.anchor = self.form[parts[0]].id_for_label if parts[0] in self.form.fields else ""
            return
        formset = {"sections": self.sections, "timeline": self.events, "factors": self.factors,
                   "action_items": self.actions}[parts[0]]
        if len(parts) == 1:
            formset.collection_conflict = panel
            return
        row_id = int(parts[1]) if parts[1].lstrip("-").isdigit() else None
        form = next((f for f in formset.forms if _form_row_id(f) == row_id), None)
        if form is None:
            return
        if len(parts) == 3:
            field = FORM_FIELD.get(parts[2], parts[2])
            if field in form.fields:
                form.conflict_panels[field] = panel
                panel.anchor = form[field].id_for_label
        else:
            form.row_conflict = panel
            panel.anchor = form["id"].id_for_label

    def unattached_panels(self) -> list[ConflictPanel]:
        return [p for p in self.panels if not p.anchor and p.kind != "collection"]

    def _panel(self, key: str, theirs: dict, mine: dict, choice: str) -> ConflictPanel:
        parts = key.split(":")
        collection = parts[0] if parts[0] in COLLECTION_LABELS else None
        their_value, my_value = value_at(theirs, key), value_at(mine, key)
        if collection is None:
            field = self.form.fields.get(key)
            label = field.label if field and field.label else key.replace("_", " ").capitalize()
            return ConflictPanel(key, "field", label, self._show(key, my_value), self._show(key, their_value),
                                 self._raw(key, their_value), choice)
        if len(parts) == 1:
            return ConflictPanel(key, "collection", COLLECTION_LABELS[collection],
                                 self._rows_text(collection, my_value), self._rows_text(collection, their_value),
                                 choice=choice)
        row = value_at(mine, ":".join(parts[:2])) or value_at(theirs, ":".join(parts[:2])) or {}
        row_name = self._row_name(collection, row)
        if len(parts) == 3:
            field = parts[2]
            if collection == "sections":
                label = row.get("heading") or "Section"
            else:
                label = f"{row_name} · {FIELD_LABELS_BY_ROW.get(field, field.replace('_', ' ').capitalize())}"
            return ConflictPanel(key, "field", label, self._show(field, my_value), self._show(field, their_value),
                                 self._raw(field, their_value), choice)
        removed = "mine" if my_value is None else "theirs"
        return ConflictPanel(key, "row", row_name, self._row_text(collection, my_value),
                             self._row_text(collection, their_value), choice=choice, removed=removed)

    def _row_name(self, collection: str, row: dict) -> str:
        if collection == "sections":
            return row.get("heading") or "Section"
        if collection == "timeline":
            return f"Event at {self._show('when', row.get('when'))}" if row.get("when") else "Event"
        text = row.get("title") or row.get("description") or ""
        text = text if len(text) <= 50 else text[:49] + "…"
        return f"{ROW_LABELS[collection]} “{text}”" if text else ROW_LABELS[collection]

    def _row_text(self, collection: str, row) -> str:
        if row is None:
            return "(removed)"
        fields = [f for f in ROW_SUMMARY_FIELDS[collection] if row.get(f) not in (None, "")]
        return " · ".join(self._show(f, row[f]) for f in fields)

    def _rows_text(self, collection: str, rows) -> str:
        return "\n".join(self._row_text(collection, row) for row in rows or []) or "(none)"

    def _show(self, field: str, value) -> str:
        """Return a document value as people read it."""
        if value in (None, ""):
            return "(empty)"
        if field in ("started_at", "detected_at", "mitigated_at", "resolved_at", "when"):
            return date_format(timezone.localtime(datetime.fromisoformat(value)), "j M Y, H:i T")
        if field == "due_date":
            return date_format(date.fromisoformat(value), "j M Y")
        if field == "owner":
            return self.choices.person_label.get(value, value)
        labels = CHOICE_LABELS.get(field)
        if labels:
            return labels.get(value, value)
        if isinstance(value, list):
            return ", ".join(value)
        return str(value)

    def _raw(self, field: str, value) -> str:
        """Return a document value as the form field holds it (for copying theirs into the field)."""
        if value in (None, ""):
            return ""
        if field in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%dT%H:%M")
        if field == "when":
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        if field == "owner":
            return str(self.choices.user_pk.get(value, ""))
        if field == "category":
            return str(self.choices.category_pk.get(value, ""))
        return str(value)


class _DocumentSection:
    """A section only the text being edited has: new in an amendment, or removed meanwhile."""

    kind = "narrative"
    required = False
    guidance = ""

    def __init__(self, pk, heading=""):
        self.pk = pk
        self.heading = heading or "Section"


def _form_row_id(form):
    if isinstance(form, SectionForm):
        return form.section.pk if form.section else None
    return form.row_id


def value_at(doc: dict, key: str):
    """Return the value `key` names in `doc` ("title", "timeline:5", "timeline:5:kind", "timeline")."""
    parts = key.split(":")
    if len(parts) == 1:
        return doc.get(key)
    rows = doc.get(parts[0]) or []
    try:
        row_id = int(parts[1])
    except ValueError:
        return None
    row = next((r for r in rows if r.get("id") == row_id), None)
    if len(parts) == 2 or row is None:
        return row
    return row.get(parts[2])


CHOICE_LABELS = {
    "severity": dict(Severity.choices),
    "kind": {**dict(EventKind.choices), **dict(ActionKind.choices)},
    "priority": dict(Priority.choices),
    "status": dict(ActionStatus.choices),
}
FIELD_LABELS_BY_ROW = {
    "when": "When", "kind": "Kind", "description": "Description", "evidence_url": "Evidence link",
    "category": "Category", "title": "Title", "priority": "Priority", "owner": "Owner", "due_date": "Due date",
    "status": "Status", "wont_do_reason": "Reason for won't do", "tracker_url": "Tracker link", "body": "Text",
}
ROW_SUMMARY_FIELDS = {
    "sections": ("body",),
    "timeline": ("when", "kind", "description", "evidence_url"),
    "factors": ("category", "description"),
    "action_items": ("title", "description", "kind", "priority", "owner", "due_date", "status", "wont_do_reason"),
}

class SendBackForm(forms.Form):
    """The facilitator's comment on sending a post-mortem or an amendment back (the review page and the desk)."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What needs another look? The authors see this comment in the history.",
    )

    def clean_comment(self):
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError("Say what needs another look, so the authors know what to change.")
        return comment


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    reason = forms.CharField(required=False, max_length=2000, label="Reason (for won't do)")

    def clean(self):
        data = super().clean()
        try:
            check_wont_do_reason(data.get("status"), data.get("reason"), field="reason")
        except forms.ValidationError as error:
            self.add_error(None, error)
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


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “PagerDuty sync”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
