from django import forms
from django.utils import timezone

from accounts.models import AuditEvent
from coaching.models import ImpactStory


class StoryForm(forms.Form):
    enrollment = forms.ModelChoiceField(queryset=None, label="Teacher")
    title = forms.CharField(max_length=200)
    story = forms.CharField(
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What changed for the teacher and their students? Describe what you saw.",
    )
    told_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
    share_with_principal = forms.BooleanField(
        required=False, label="The teacher agreed to share this with their principal"
    )
    share_with_district = forms.BooleanField(required=False, label="The teacher agreed to share this with the district")

    def __init__(self, *args, caseload, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = caseload.select_related("teacher")
        self.fields["enrollment"].label_from_instance = lambda enrollment: enrollment.teacher.name

    @classmethod
    def for_story(cls, story: ImpactStory, data=None, *, caseload) -> "StoryForm":
        fields = ["enrollment", "title", "story", "told_on", "share_with_principal", "share_with_district"]
        return cls(data, caseload=caseload, initial={name: getattr(story, name) for name in fields})


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
