from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts import scoping
from accounts.models import District
from coaching.models import GradeBand, Program, Strategy, Teacher, Tool
from config.forms import ChoiceOfRead, ModelForm, Select, SingleLineField, SubmissionKeyMixin, read_choices_once
from districts import selectors, services

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgramForm(SubmissionKeyMixin, forms.Form):
    name = SingleLineField(max_length=200, help_text="For example “2026–27 instructional technology coaching”.")
    starts_on = forms.DateField(label="Starts on", widget=DATE)
    ends_on = forms.DateField(label="Ends on", widget=DATE)
    schools = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Participating schools"
    )
    coaches = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Active coaches of the district. Each coach's caseload is set on the Caseloads page.",
    )

    def __init__(self, *args, district: District, program: Program | None = None, **kwargs):
        if program is not None:
            kwargs["initial"] = {
                "name": program.name,
                "starts_on": program.starts_on,
                "ends_on": program.ends_on,
                "schools": list(program.schools.all()),
                "coaches": list(program.coaches.all()),
            }
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = district.schools.all()
        self.fields["coaches"].queryset = selectors.active_coaches(district)


class GoalForm(SubmissionKeyMixin):
    title = SingleLineField(label="Goal", max_length=300, help_text="What the district or school is working towards.")


class SchoolGoalForm(SubmissionKeyMixin):
    school = forms.ModelChoiceField(queryset=None)
    title = SingleLineField(label="Goal", max_length=300, help_text="What the school is working towards this year.")

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class CaseloadFilterForm(forms.Form):
    program = ChoiceOfRead(queryset=None, empty_label=None, widget=Select)
    school = ChoiceOfRead(queryset=None, required=False, empty_label="Any school", widget=Select)
    subject = SingleLineField(required=False, max_length=100)
    grade_band = forms.ChoiceField(choices=[("", "Any grade band"), *GradeBand.choices], required=False, widget=Select)
    q = SingleLineField(label="Name or e-mail", required=False, max_length=200)
    unassigned = forms.BooleanField(label="Only teachers not on a caseload in this program", required=False)

    def __init__(self, data, *, district: District, **kwargs):
        programs = list(district.programs.all())  # newest first: one query for the options, default and choice
        if not data.get("program"):
            # The program running today, else the newest.
            today = timezone.localdate()
            default = next(
                (p for p in programs if p.starts_on <= today <= p.ends_on), programs[0] if programs else None
            )
            data = data.copy()
            data["program"] = default.pk if default else ""
        super().__init__(data, **kwargs)
        schools = district.schools.all()
        self.fields["program"].queryset = district.programs.all()
        self.fields["school"].queryset = schools
        read_choices_once(self.fields["program"], programs)
        read_choices_once(self.fields["school"], schools)

    def teacher_filters(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "program"}


class AssignForm(SubmissionKeyMixin):
    teachers = forms.ModelMultipleChoiceField(
        queryset=None, error_messages={"required": "Tick at least one teacher to assign."}
    )
    coach = forms.ModelChoiceField(
        queryset=None,
        label="Assign the ticked teachers to",
        widget=Select,
        error_messages={"required": "Choose the coach to assign the ticked teachers to."},
    )

    def __init__(self, *args, program: Program, coaches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = scoping.district_rows(program.district_id, Teacher)
        self.fields["coach"].queryset = program.coaches.all()
        self.fields["coach"].choices = [("", "Choose a coach"), *((c.pk, str(c)) for c in coaches)]

    def selected(self) -> set[str]:
        return {str(pk) for pk in self["teachers"].value() or ()}


class MoveForm(SubmissionKeyMixin):
    coach = forms.ModelChoiceField(queryset=None, label="New coach", empty_label="Choose a coach", widget=Select)

    def __init__(self, *args, enrollment, limit: int, **kwargs):
        """The program's other coaches; past `limit` of them, only those who work at the teacher's school (the
        list must not grow with the district)."""
        super().__init__(*args, **kwargs)
        coaches = enrollment.program.coaches.exclude(pk=enrollment.coach_id).order_by("full_name", "email")
        if coaches.count() > limit:
            school, teacher = enrollment.teacher.school, enrollment.teacher
            coaches = coaches.filter(membership__schools=school)
            self.fields["coach"].help_text = (
                f"The program's coaches who work at {school}. To move {teacher} to a coach from another school, "
                f"first add {school} to that coach's schools on the People page."
            )
        self.fields["coach"].queryset = coaches


class ConfirmForm(forms.Form):
    """Nothing to fill in: posting it (with its CSRF token) confirms; a refusal shows as its error."""


class LibraryForm(SubmissionKeyMixin, ModelForm):
    def __init__(self, *args, district: District, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district


class StrategyForm(LibraryForm):
    class Meta:
        model = Strategy
        fields = ["title", "description", "category", "itu_indicator", "subject", "grade_band", "tools"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}), "tools": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired tools are offered only where the strategy already has them, so saving keeps them.
        kept = Q(pk__in=self.instance.tools.all()) if self.instance.pk else Q(pk__in=[])
        tools = self.fields["tools"]
        tools.queryset = Tool.objects.filter(Q(pk__in=Tool.objects.active()) | kept, district=self.district)
        tools.label_from_instance = lambda tool: f"{tool.name} (retired)" if tool.retired_at else tool.name
        tools.required = False


class ToolForm(LibraryForm):
    url = forms.URLField(label="Web address", required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Tool
        fields = ["name", "description", "url"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class SignInProviderForm(forms.Form):
    """One single sign-on provider's settings. The secret field is never filled in from what is stored."""

    enabled = forms.BooleanField(label="Let people sign in this way", required=False)
    label = SingleLineField(
        label="Button name", max_length=60, required=False, help_text="Shown as “Sign in with …”, e.g. Clever."
    )
    server_url = SingleLineField(
        label="Issuer URL", max_length=300, required=False,
        help_text="The provider's issuer, e.g. https://clever.com (Cadence reads its openid-configuration).",
    )  # fmt: skip
    tenant = SingleLineField(
        label="Tenant ID", max_length=100, required=False,
        help_text="Your district's Microsoft Entra tenant ID (Entra admin center → Overview).",
    )  # fmt: skip
    client_id = SingleLineField(label="Client ID", max_length=300)
    secret = forms.CharField(
        label="Client secret", max_length=500, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )  # fmt: skip
    allowed_domains = forms.CharField(
        label="Allowed e-mail domains",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Only people whose address ends in one of these can sign in this way, e.g. riverside.k12.ca.us.",
    )

    UNUSED = {  # the fields a kind of provider does not use
        "google": {"label", "server_url", "tenant"},
        "microsoft": {"label", "server_url"},
        "oidc": {"tenant"},
    }

    def __init__(self, *args, kind: str, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.UNUSED[kind]:
            del self.fields[name]
        if provider and provider.secret:
            hint = f"A secret is stored ({provider.secret_hint}); leave this empty to keep it, or paste a new one."
            self.fields["secret"].help_text = hint

    def clean_allowed_domains(self) -> list[str]:
        return services.parse_domains(self.cleaned_data["allowed_domains"])
