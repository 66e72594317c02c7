from django import forms

from accounts.models import AuditEvent
from config.forms import SingleLineField
from dashboard.models import DigestSetting


class SchoolPickerForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=None, empty_label=None, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


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
