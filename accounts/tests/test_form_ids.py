"""IDOR by id, kind by kind: every form field that takes an id refuses an object its user may not use.

The completeness check enumerates every id-taking field of every form Cadence defines (a model choice
field declared on the class, or put into ``self.fields`` in ``__init__``); each must have a row in
``ROWS``, which posts the form as a user who may use it with the id of an object they may not (another
district's, or another coach's in the same district) and checks the answer and the database.
"""

import inspect
import re
import types
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.urls import reverse

from accounts.models import Invitation
from coaching import forms as coaching_forms
from coaching.models import (
    Activity,
    Challenge,
    Enrollment,
    Goal,
    ImpactStory,
    Program,
    Reflection,
    Strategy,
    StrategyCandidate,
)
from standards.models import Standard
from testing import factories as f
from testing.factories import IMPROVEMENT, PROBLEMS, challenge_at

_ADDED_IN_INIT = re.compile(r"self\.fields\[[\"'](\w+)[\"']\]\s*=\s*(\w+)\(")


def _id_fields() -> set[str]:
    """'module.Form.field' for every field that takes an id (inherited fields counted on each form)."""
    found = set()
    for form in f.project_form_classes():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.ModelChoiceField):
                found.add(f"{form.__module__}.{form.__name__}.{name}")
        for klass in form.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or not klass.__module__.startswith(tuple(c.name for c in f.project_app_configs())):
                continue
            namespace = inspect.getmodule(klass).__dict__
            for name, class_name in _ADDED_IN_INIT.findall(inspect.getsource(init)):
                field_class = namespace.get(class_name)
                if isinstance(field_class, type) and issubclass(field_class, forms.ModelChoiceField):
                    found.add(f"{form.__module__}.{form.__name__}.{name}")
    return found


# --- the objects a Riverside user may not use ----------------------------------------------------------


@pytest.fixture
def other(cast):
    """Another district's school, program, teacher, enrollment, strategy, tool and goal (olga's and
    oscar's), bob's enrollment in alice's district, a Riverside school paula does not lead, and a
    Riverside teacher on no caseload (what an assignment may legitimately tick)."""
    district = cast.oscar.membership.district
    school = f.SchoolFactory(district=district, name="Faraway High")
    cast.olga.membership.schools.add(school)
    program = f.ProgramFactory(district=district, name="Faraway program")
    program.schools.add(school)
    program.coaches.add(cast.oscar)
    teacher = f.TeacherFactory(school=school, name="Faraway Teacher")
    bobs_teacher = f.TeacherFactory(school=cast.school, name="Bobs Teacher")
    return types.SimpleNamespace(
        school=school,
        program=program,
        teacher=teacher,
        enrollment=f.EnrollmentFactory(program=program, coach=cast.oscar, teacher=teacher),
        strategy=f.StrategyFactory(district=district, title="Faraway strategy"),
        tool=f.ToolFactory(district=district, name="Faraway tool"),
        goal=Goal.objects.create(district=district, school=school, title="Faraway goal"),
        bobs_enrollment=f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=bobs_teacher),
        jefferson=f.SchoolFactory(district=cast.district, name="Jefferson Elementary"),
        unassigned=f.TeacherFactory(school=cast.school, name="Unassigned Teacher"),
    )


# --- the table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """Who posts (or, for a GET filter, opens) which URL with which data; `foreign` lists the objects the
    user may not use, each put into the id field in turn, then `allowed`, which must be accepted (so the
    data is valid but for the id); `written` counts the rows that would reference the foreign object (must
    not grow); for a GET filter, `shows` is the foreign text that must not appear."""

    actor: str
    url: Callable  # (cast, other) -> path
    data: Callable  # (cast, other, foreign_pk) -> dict
    foreign: Callable  # (cast, other) -> list of model instances
    allowed: Callable  # (cast, other) -> an object the user may use: the same data with it is accepted
    written: Callable | None = None  # (cast, other, foreign) -> int
    method: str = "post"
    shows: Callable | None = None  # (cast, other, foreign) -> str


def _challenge(status):
    return lambda cast, o: reverse(_STATUS_URL[status], args=[challenge_at(cast, status).pk])


_STATUS_URL = {"identify": "coaching:identify", "investigate": "coaching:investigate", "select": "coaching:select",
               "reflect": "coaching:reflect"}  # fmt: skip


def _touchpoint(cast, o, pk, **extra):
    data = {"enrollment": cast.enrollment.pk, "channel": "hallway", "held_on": f.day().isoformat(), "minutes": 10}
    return {**data, **extra}


# Every form of a TaggedForm subclass inherits one StandardsField: the shared ISTE catalog (no district
# owns a standard), so the only id it must refuse is one that is not in the catalog. One row checks it on
# the touchpoint form; `test_it_keeps_the_standards_field_the_catalog` checks no form narrows or widens it.
_STANDARDS = Row(
    "alice",
    lambda cast, o: reverse("coaching:activity_new", args=["touchpoint"]),
    lambda cast, o, pk: _touchpoint(cast, o, pk, standards=[pk]),
    lambda cast, o: [types.SimpleNamespace(pk=(Standard.objects.order_by("-pk").first().pk + 1000))],
    lambda cast, o: Standard.objects.order_by("pk").first(),
    lambda cast, o, x: Activity.objects.count(),
)

ROWS = {
    "accounts.forms.InviteForm.schools": Row(
        "dana",
        lambda cast, o: reverse("accounts:invite"),
        lambda cast, o, pk: {"email": "new@example.org", "full_name": "New", "role": "coach", "schools": [pk]},
        lambda cast, o: [o.school],
        lambda cast, o: cast.school,
        lambda cast, o, x: Invitation.objects.count(),
    ),
    "accounts.forms.MemberForm.schools": Row(
        "dana",
        lambda cast, o: reverse("accounts:member_edit", args=[cast.bob.membership.pk]),
        lambda cast, o, pk: {"role": "coach", "schools": [cast.school.pk, pk]},
        lambda cast, o: [o.school],
        lambda cast, o: o.jefferson,
        lambda cast, o, x: x.memberships.count(),
    ),
    "coaching.forms.ActivityForm.enrollment": Row(
        "alice",
        lambda cast, o: reverse("coaching:activity_new", args=["touchpoint"]),
        lambda cast, o, pk: _touchpoint(cast, o, pk, enrollment=pk),
        lambda cast, o: [o.bobs_enrollment, o.enrollment],
        lambda cast, o: cast.enrollment,
        lambda cast, o, x: Activity.objects.filter(enrollment=x).count(),
    ),
    "coaching.forms.ActivityForm.school": Row(
        "alice",
        lambda cast, o: reverse("coaching:activity_new", args=["plc"]),
        lambda cast, o, pk: {"school": pk, "held_on": f.day().isoformat(), "minutes": 45},
        lambda cast, o: [o.school, o.jefferson],
        lambda cast, o: cast.school,
        lambda cast, o, x: Activity.objects.filter(school=x).count(),
    ),
    "coaching.forms.CandidateForm.strategy": Row(
        "alice",
        _challenge("investigate"),
        lambda cast, o, pk: {"strategy": pk, "source": "research"},
        lambda cast, o: [o.strategy],
        lambda cast, o: cast.strategy,
        lambda cast, o, x: StrategyCandidate.objects.filter(strategy=x).count(),
    ),
    "coaching.forms.IdentifyForm.goal": Row(
        "alice",
        _challenge("identify"),
        lambda cast, o, pk: {"title": PROBLEMS[0], "improvement": IMPROVEMENT, "category": "instructional", "goal": pk},
        lambda cast, o: [o.goal, Goal.objects.create(district=cast.district, school=o.jefferson, title="Jeff")],
        lambda cast, o: Goal.objects.create(district=cast.district, school=cast.school, title="Ours"),
        lambda cast, o, x: Challenge.objects.filter(goal=x).count(),
    ),
    "coaching.forms.ReflectForm.new_strategy": Row(
        "alice",
        _challenge("reflect"),
        lambda cast, o, pk: {"held_on": f.day().isoformat(), "minutes": 30, "decision": "iterate", "new_strategy": pk},
        lambda cast, o: [o.strategy],
        lambda cast, o: cast.strategy,
        lambda cast, o, x: Reflection.objects.count() + Challenge.objects.filter(strategy=x).count(),
    ),
    "coaching.forms.SelectForm.strategy": Row(
        "alice",
        _challenge("select"),
        lambda cast, o, pk: {"strategy": pk, "tools": [cast.tool.pk]},
        lambda cast, o: [o.strategy, f.StrategyFactory(district=cast.district, title="Not a candidate")],
        lambda cast, o: cast.strategy,
        lambda cast, o, x: Challenge.objects.filter(strategy=x).count(),
    ),
    "coaching.forms.SelectForm.tools": Row(
        "alice",
        _challenge("select"),
        lambda cast, o, pk: {"strategy": cast.strategy.pk, "tools": [pk]},
        lambda cast, o: [o.tool],
        lambda cast, o: cast.tool,
        lambda cast, o, x: Challenge.objects.filter(tools=x).count() + Challenge.objects.exclude(strategy=None).count(),
    ),
    "coaching.forms.StoryForm.enrollment": Row(
        "alice",
        lambda cast, o: reverse("coaching:story_new"),
        lambda cast, o, pk: {
            "enrollment": pk,
            "title": "A win",
            "story": "It went well.",
            "told_on": f.day().isoformat(),
        },
        lambda cast, o: [o.bobs_enrollment, o.enrollment],
        lambda cast, o: cast.enrollment,
        lambda cast, o, x: ImpactStory.objects.filter(enrollment=x).count(),
    ),
    "dashboard.forms.DashboardFilterForm.program": Row(
        "dana",
        lambda cast, o: reverse("dashboard:district"),
        lambda cast, o, pk: {"program": pk},
        lambda cast, o: [o.program],
        lambda cast, o: cast.program,
        method="get",
        shows=lambda cast, o, x: x.name,
    ),
    "dashboard.forms.DashboardFilterForm.school": Row(
        "dana",
        lambda cast, o: reverse("dashboard:district"),
        lambda cast, o, pk: {"school": pk},
        lambda cast, o: [o.school],
        lambda cast, o: cast.school,
        method="get",
        shows=lambda cast, o, x: x.name,
    ),
    "dashboard.forms.SchoolPickerForm.school": Row(
        "paula",
        lambda cast, o: reverse("dashboard:school"),
        lambda cast, o, pk: {"school": pk},
        lambda cast, o: [o.school, o.jefferson],
        lambda cast, o: cast.school,
        method="get",
        shows=lambda cast, o, x: x.name,
    ),
    "districts.forms.AssignForm.coach": Row(
        "dana",
        lambda cast, o: reverse("district:caseloads") + f"?program={cast.program.pk}",
        lambda cast, o, pk: {"teachers": [o.unassigned.pk], "coach": pk},
        lambda cast, o: [cast.oscar, cast.paula],
        lambda cast, o: cast.bob,
        lambda cast, o, x: Enrollment.objects.filter(coach=x).count() + o.unassigned.enrollments.count(),
    ),
    "districts.forms.AssignForm.teachers": Row(
        "dana",
        lambda cast, o: reverse("district:caseloads") + f"?program={cast.program.pk}",
        lambda cast, o, pk: {"teachers": [pk], "coach": cast.bob.pk},
        lambda cast, o: [o.teacher],
        lambda cast, o: o.unassigned,
        lambda cast, o, x: Enrollment.objects.filter(teacher=x).count(),
    ),
    "districts.forms.CaseloadFilterForm.program": Row(
        "dana",
        lambda cast, o: reverse("district:caseloads"),
        lambda cast, o, pk: {"program": pk},
        lambda cast, o: [o.program],
        lambda cast, o: cast.program,
        method="get",
        shows=lambda cast, o, x: f"{x.name}|{o.teacher.name}",
    ),
    "districts.forms.CaseloadFilterForm.school": Row(
        "dana",
        lambda cast, o: reverse("district:caseloads"),
        lambda cast, o, pk: {"program": cast.program.pk, "school": pk},
        lambda cast, o: [o.school],
        lambda cast, o: cast.school,
        method="get",
        shows=lambda cast, o, x: f"{x.name}|{o.teacher.name}",
    ),
    "districts.forms.MoveForm.coach": Row(
        "dana",
        lambda cast, o: reverse("district:enrollment_move", args=[cast.enrollment.pk]),
        lambda cast, o, pk: {"coach": pk},
        lambda cast, o: [cast.oscar, cast.paula],
        lambda cast, o: cast.bob,
        lambda cast, o, x: Enrollment.objects.filter(coach=x).count(),
    ),
    "districts.forms.ProgramForm.coaches": Row(
        "dana",
        lambda cast, o: reverse("district:program_new"),
        lambda cast, o, pk: _program(cast, coaches=[pk]),
        lambda cast, o: [cast.oscar, cast.paula],
        lambda cast, o: cast.bob,
        lambda cast, o, x: Program.objects.filter(coaches=x).count() + Program.objects.count(),
    ),
    "districts.forms.ProgramForm.schools": Row(
        "dana",
        lambda cast, o: reverse("district:program_new"),
        lambda cast, o, pk: _program(cast, schools=[pk]),
        lambda cast, o: [o.school],
        lambda cast, o: cast.school,
        lambda cast, o, x: Program.objects.filter(schools=x).count() + Program.objects.count(),
    ),
    "districts.forms.SchoolGoalForm.school": Row(
        "paula",
        lambda cast, o: reverse("district:goals"),
        lambda cast, o, pk: {"school": pk, "title": "Every student reads"},
        lambda cast, o: [o.school, o.jefferson],
        lambda cast, o: cast.school,
        lambda cast, o, x: Goal.objects.filter(school=x).count(),
    ),
    "districts.forms.StrategyForm.tools": Row(
        "dana",
        lambda cast, o: reverse("district:strategy_new"),
        lambda cast, o, pk: {
            "title": "Exit tickets",
            "category": "instructional",
            "itu_indicator": "collaboration",
            "grade_band": "all",
            "tools": [pk],
        },
        lambda cast, o: [o.tool],
        lambda cast, o: cast.tool,
        lambda cast, o, x: Strategy.objects.filter(tools=x).count() + Strategy.objects.count(),
    ),
    **{
        f"coaching.forms.{form}.standards": _STANDARDS
        for form in (
            "TaggedForm",
            "ActivityForm",
            "IdentifyForm",
            "InvestigationDoneForm",
            "ReflectForm",
            "SelectForm",
            "StepForm",
        )
    },
}


def _program(cast, **fields):
    data = {"name": "2027–28 coaching", "starts_on": f.day(30).isoformat(), "ends_on": f.day(300).isoformat(),
            "schools": [cast.school.pk], "coaches": [cast.alice.pk]}  # fmt: skip
    return {**data, **fields}


# --- the tests ---------------------------------------------------------------------------------------------


def test_it_has_a_row_for_every_field_that_takes_an_id():
    found = _id_fields()
    assert len(found) >= 25
    assert set(ROWS) == found, (
        f"Add a row to ROWS for {sorted(found - set(ROWS))}; remove the rows of {sorted(set(ROWS) - found)}"
    )


def test_it_keeps_the_standards_field_the_catalog():
    """The standards rows share one check: every tagged form keeps the catalog-wide StandardsField."""
    for key, row in ROWS.items():
        if row is not _STANDARDS:
            continue
        module, form_name, field = key.rsplit(".", 2)
        field = getattr(coaching_forms, form_name).base_fields[field]
        assert type(field) is coaching_forms.StandardsField
        assert field.queryset.model is Standard and not field.queryset.query.where


def _bound_forms(response):
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound:
                yield value


@pytest.mark.parametrize("key", sorted(ROWS))
def test_it_refuses_an_id_the_user_may_not_use(cast, other, client, key):
    row = ROWS[key]
    client.force_login(getattr(cast, row.actor))
    url = row.url(cast, other)
    for foreign in row.foreign(cast, other):
        data = row.data(cast, other, foreign.pk)
        if row.method == "get":
            response = client.get(url, data)
            assert response.status_code in (200, 403, 404), foreign
            page = response.content.decode()
            for text in row.shows(cast, other, foreign).split("|"):
                assert text not in page, f"{key}: {foreign} shown"
            continue
        before = row.written(cast, other, foreign)
        response = client.post(url, data)
        assert response.status_code in (200, 403, 404), f"{key}: {foreign} answered {response.status_code}"
        if response.status_code == 200:
            assert any(form.errors for form in _bound_forms(response)), f"{key}: no error shown for {foreign}"
        assert row.written(cast, other, foreign) == before, f"{key}: a row now references {foreign}"
    # The control: the same data with an id the user may use is accepted (so the refusal above was the id's).
    allowed = row.allowed(cast, other)
    response = getattr(client, row.method)(url, row.data(cast, other, allowed.pk))
    if row.method == "get":
        assert response.status_code == 200 and str(allowed) in response.content.decode()
    else:
        assert response.status_code == 302, [form.errors for form in _bound_forms(response)]
