from django import forms

from accounts.models import AuditEvent


class SchoolPickerForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=None, empty_label=None, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class TeacherSearchForm(forms.Form):
    q = forms.CharField(label="Teacher's name", max_length=200)


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label="Type the teacher's name to confirm",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "All actions"), *AuditEvent.Action.choices], required=False)
