import datetime

from django import forms

from accounts.models import AuditEvent
from config.forms import DateInput, InlineRadios, Select, SingleLineField, SubmissionKeyMixin, read_choices_once
from dashboard.models import DigestSetting
from dashboard.services import after_today


class SchoolPickerForm(forms.Form):
    school = forms.ModelChoiceField(queryset=None, empty_label=None, widget=Select(attrs={"class": "form-select"}))

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        read_choices_once(self.fields["school"], schools)  # fills `schools`' cache: the view reads it again


class TeacherSearchForm(forms.Form):
    q = SingleLineField(label="Teacher's name", max_length=200)


class EraseForm(forms.Form):
    confirmation = SingleLineField(
        label="Type the teacher's name to confirm",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "All actions"), *AuditEvent.Action.choices], required=False)


class DigestForm(forms.Form):
    """When the person gets their digest e-mail; a principal also picks the day of the week."""

    enabled = forms.BooleanField(required=False, label="Send me the digest e-mail")
    send_at = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    weekday = forms.TypedChoiceField(label="Day", choices=DigestSetting.Weekday.choices, coerce=int)

    def __init__(self, *args, weekly: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not weekly:
            del self.fields["weekday"]


class DashboardFilterForm(forms.Form):
    """Program, school and months a leader's dashboard covers; an invalid value is reported and ignored."""

    program = forms.ModelChoiceField(queryset=None, required=False, empty_label="All running programs", widget=Select)
    school = forms.ModelChoiceField(queryset=None, required=False, empty_label="All schools", widget=Select)
    start = forms.DateField(label="From", required=False, widget=DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=DateInput(attrs={"type": "date"}))

    def __init__(self, *args, programs, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        read_choices_once(self.fields["program"], programs)  # fills `programs`' cache: the view reads it again
        if schools is None:
            del self.fields["school"]
        else:
            self.fields["school"].queryset = schools
            read_choices_once(self.fields["school"], schools)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name in ("program", "school") else "form-control"


class SelfAssessmentForm(SubmissionKeyMixin):
    """A 1–4 rating and written evidence for each of the 18 standards (fields rating_<code>, evidence_<code>),
    dated today or before (`today`: the district's date). Safe to send twice (SubmissionKeyMixin)."""

    RATINGS = [(1, "1 · Beginning"), (2, "2 · Developing"), (3, "3 · Proficient"), (4, "4 · Exemplary")]
    assessed_on = forms.DateField(
        label="Date",
        error_messages={"required": "Enter a date."},
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    shared_with_district = forms.BooleanField(label="Share this self-assessment with my district admin", required=False)

    def __init__(self, *args, standards, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["assessed_on"].widget.attrs["max"] = today.isoformat()  # the picker offers no later day
        self.fields["shared_with_district"].widget.attrs["class"] = "form-check-input"
        self.standards = list(standards)
        for standard in self.standards:
            self.fields[f"rating_{standard.code}"] = forms.TypedChoiceField(
                label=f"{standard.code} {standard.title}",
                choices=self.RATINGS,
                coerce=int,
                error_messages={"required": "Choose a rating from 1 to 4."},
                widget=InlineRadios,
            )
            self.fields[f"evidence_{standard.code}"] = forms.CharField(
                label=f"Evidence for {standard.code}",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )

    def clean_assessed_on(self) -> datetime.date:
        """Refused here as well as by the service, so the page says it beside every other answer to fix."""
        day = self.cleaned_data["assessed_on"]
        if day > self.today:
            raise forms.ValidationError(after_today(self.today))
        return day

    def rows(self):
        """(standard, rating field, evidence field) for the template."""
        return [(s, self[f"rating_{s.code}"], self[f"evidence_{s.code}"]) for s in self.standards]

    def ratings(self) -> dict:
        return {
            s.pk: (self.cleaned_data[f"rating_{s.code}"], self.cleaned_data[f"evidence_{s.code}"].strip())
            for s in self.standards
        }
