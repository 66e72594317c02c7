import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts import scoping
from coaching.models import (
    MAX_MINUTES,
    Activity,
    ChallengeCategory,
    Goal,
    GradeBand,
    ImpactStory,
    ITUIndicator,
    ITURating,
    ITUScore,
    Reflection,
    Step,
    Strategy,
    StrategyCandidate,
    Tool,
)
from coaching.moves import step_suggestion
from config.forms import ModelForm, SingleLineField, SubmissionKeyMixin
from standards.catalog import DEFAULT_TAGS
from standards.models import Standard


class StandardsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Standards exercised")
        super().__init__(queryset=Standard.objects.all(), required=False, **kwargs)

    def label_from_instance(self, obj: Standard) -> str:
        return f"{obj.code} {obj.title}"


class TaggedForm(forms.Form):
    """A form with a standards field whose defaults follow the kind of work being logged."""

    tag_kind = ""
    standards = StandardsField()

    def __init__(self, *args, tag_kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        kind = tag_kind or self.tag_kind
        if "standards" not in self.initial and not self.is_bound:  # a posted form shows what was posted
            self.initial["standards"] = list(Standard.objects.filter(code__in=DEFAULT_TAGS.get(kind, ())))

    def standards_summary(self) -> str:
        """The codes ticked now: the defaults, or what was posted when the form comes back with an error."""
        chosen = self["standards"].value() or []
        pks = {getattr(value, "pk", value) for value in chosen}
        valid = [pk for pk in pks if str(pk).isascii() and str(pk).isdigit()]
        return ", ".join(s.code for s in Standard.objects.filter(pk__in=valid))


class BrainstormForm(SubmissionKeyMixin, forms.Form):
    problems = forms.CharField(
        label="Problems of practice",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Brainstorm with the teacher: one problem of practice per line.",
        max_length=5000,
    )

    def clean_problems(self) -> list[str]:
        return self.cleaned_data["problems"].splitlines()


class IdentifyForm(TaggedForm):
    tag_kind = "identify"
    title = forms.ChoiceField(
        label="The problem of practice to focus on",
        widget=forms.RadioSelect,
        help_text="The challenge, in the teacher's words: one of the problems you brainstormed.",
    )
    improvement = SingleLineField(
        label="What to improve",
        max_length=200,
        help_text=(
            "What the teacher wants to get better, as a few words that finish “Towards the goal of improving …” in "
            "the focus statement. For example: “shared accountability in lab groups”."
        ),
    )
    category = forms.ChoiceField(choices=ChallengeCategory.choices, widget=forms.RadioSelect)
    root_cause_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
        help_text="Why does this happen? What have you both noticed?",
    )
    goal = forms.ModelChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        empty_label="No goal",
        label="Aligned goal (optional)",
        help_text="A school or district goal this challenge works towards (3B).",
    )
    field_order = ["title", "improvement", "category", "root_cause_notes", "goal", "standards"]

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].choices = [(p, p) for p in challenge.problems]
        teacher = challenge.enrollment.teacher
        goals = scoping.district_rows(teacher.school.district_id, Goal)
        self.fields["goal"].queryset = goals.filter(Q(school=teacher.school) | Q(school__isnull=True)).select_related(
            "school"
        )


class LibraryFilterForm(forms.Form):
    q = SingleLineField(label="Search", required=False, max_length=200)
    category = forms.ChoiceField(choices=[("", "Any category"), *ChallengeCategory.choices], required=False)
    itu_indicator = forms.ChoiceField(
        label="ITU indicator", choices=[("", "Any ITU indicator"), *ITUIndicator.choices], required=False
    )
    subject = SingleLineField(required=False, max_length=100)
    grade_band = forms.ChoiceField(choices=[("", "Any grade band"), *GradeBand.choices], required=False)


class CandidateForm(SubmissionKeyMixin, forms.Form):
    strategy = forms.ModelChoiceField(queryset=Strategy.objects.none(), widget=forms.HiddenInput)
    source = forms.ChoiceField(choices=StrategyCandidate.Source.choices)
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].queryset = scoping.district_rows(district, Strategy).active()


class NewStrategyForm(SubmissionKeyMixin, ModelForm):
    source = forms.ChoiceField(choices=StrategyCandidate.Source.choices)
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Strategy
        fields = ["title", "description", "category", "itu_indicator", "subject", "grade_band"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class InvestigationDoneForm(TaggedForm):
    tag_kind = "investigate"


class SelectForm(TaggedForm):
    tag_kind = "select"
    strategy = forms.ModelChoiceField(queryset=Strategy.objects.none(), widget=forms.RadioSelect, empty_label=None)
    tools = forms.ModelMultipleChoiceField(
        queryset=Tool.objects.none(), widget=forms.CheckboxSelectMultiple, label="Tool(s)"
    )
    field_order = ["strategy", "tools", "standards"]

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].queryset = Strategy.objects.filter(pk__in=challenge.candidates.values("strategy"))
        self.fields["tools"].queryset = scoping.district_rows(challenge.enrollment.program.district_id, Tool).active()
        # A single candidate is the choice already: offer it with the tools the library pairs with it.
        candidates = list(self.fields["strategy"].queryset[:2])
        if len(candidates) == 1 and "strategy" not in self.initial:
            self.initial["strategy"] = candidates[0]
            self.initial["tools"] = list(candidates[0].tools.all() & self.fields["tools"].queryset)


def _now_rounded() -> datetime.datetime:
    now = timezone.localtime()
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


class StepForm(SubmissionKeyMixin, TaggedForm):
    """Log a done step or schedule one: date, time and minutes come pre-filled for speed."""

    done = forms.BooleanField(required=False, initial=True, label="Done", help_text="Untick to schedule it for later.")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    minutes = forms.IntegerField(min_value=1, max_value=MAX_MINUTES, initial=30)
    visit_mode = forms.ChoiceField(
        label="Visit mode", choices=Step.VisitMode.choices, widget=forms.RadioSelect, required=False
    )
    data_collected = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(
        label="Confidential notes", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))
    invite_teacher = forms.BooleanField(
        required=False, label="Invite the teacher", help_text="E-mail the teacher the calendar invitation too."
    )
    field_order = ["done", "date", "time", "minutes", "visit_mode", "data_collected", "notes", "next_steps"]

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, tag_kind=kind, **kwargs)
        # Everything else comes pre-filled: the first thing the coach types is the notes.
        self.fields["notes"].widget.attrs["autofocus"] = True
        now = _now_rounded()
        self.initial.setdefault("date", now.date())
        self.initial.setdefault("time", now.time())
        if kind != Step.Kind.VISIT:
            del self.fields["visit_mode"], self.fields["data_collected"]
        else:
            self.fields["visit_mode"].required = True
            self.fields["visit_mode"].widget.attrs["class"] = "form-check-input"

    @classmethod
    def for_step(cls, step: Step, data=None, *, log: bool = False) -> "StepForm":
        """The step as it is; `log`: ticked done, at a time that lets it save (coaching.moves.step_suggestion)."""
        local = timezone.localtime(step.starts_at)
        fields = ["done", "minutes", "visit_mode", "data_collected", "notes", "next_steps", "invite_teacher"]
        initial = {name: getattr(step, name) for name in fields}
        initial.update(date=local.date(), time=local.time(), standards=list(step.standards.all()))
        if log and not step.done:
            initial.update(step_suggestion(cycle=step.cycle, kind=step.kind, step=step))
        return cls(data, kind=step.kind, initial=initial)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["starts_at"] = timezone.make_aware(datetime.datetime.combine(data.pop("date"), data.pop("time")))
        return data


class ReflectForm(SubmissionKeyMixin, TaggedForm):
    tag_kind = "reflect"
    held_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_MINUTES, initial=30)
    notes = forms.CharField(
        label="What happened",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Successes, what the data shows, and how the teacher sees it.",
    )
    decision = forms.ChoiceField(choices=Reflection.Decision.choices, widget=forms.RadioSelect)
    new_strategy = forms.ModelChoiceField(
        queryset=Strategy.objects.none(),
        required=False,
        empty_label="Keep the current strategy",
        label="Strategy for the next cycle (when iterating)",
    )
    field_order = ["held_on", "minutes", "notes", "decision", "new_strategy", "standards"]

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_strategy"].queryset = scoping.district_rows(
            challenge.enrollment.program.district_id, Strategy
        ).active()


class ITUForm(SubmissionKeyMixin, forms.Form):
    phase = forms.ChoiceField(choices=ITURating.Phase.choices)
    rated_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in ITUIndicator.choices:
            self.fields[f"{value}_frequency"] = forms.TypedChoiceField(
                label=f"{label}: frequency", choices=ITUScore.FREQUENCY, coerce=int
            )
            self.fields[f"{value}_proficiency"] = forms.TypedChoiceField(
                label=f"{label}: proficiency", choices=ITUScore.PROFICIENCY, coerce=int
            )

    def indicator_rows(self):
        return [
            (label, self[f"{value}_frequency"], self[f"{value}_proficiency"]) for value, label in ITUIndicator.choices
        ]

    def scores(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {v: (data[f"{v}_frequency"], data[f"{v}_proficiency"]) for v in ITUIndicator.values}


class ActivityForm(SubmissionKeyMixin, TaggedForm):
    held_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_MINUTES, initial=15)
    enrollment = forms.ModelChoiceField(queryset=None, label="Teacher", required=False)
    channel = forms.ChoiceField(choices=Activity.Channel.choices, required=False)
    school = forms.ModelChoiceField(queryset=None, required=False)
    notes = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["enrollment", "channel", "school", "held_on", "minutes", "notes", "standards"]

    def __init__(self, *args, kind: str, caseload, schools, **kwargs):
        super().__init__(*args, tag_kind=kind, **kwargs)
        if kind == Activity.Kind.TOUCHPOINT:
            del self.fields["school"]
            self.fields["enrollment"].queryset = caseload.select_related("teacher")
            self.fields["enrollment"].label_from_instance = lambda e: e.teacher.name
            self.fields["enrollment"].required = True
            self.fields["channel"].required = True
        else:
            del self.fields["enrollment"], self.fields["channel"]
            self.fields["school"].queryset = schools


class StoryForm(SubmissionKeyMixin, forms.Form):
    enrollment = forms.ModelChoiceField(queryset=None, label="Teacher")
    title = SingleLineField(max_length=200)
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
