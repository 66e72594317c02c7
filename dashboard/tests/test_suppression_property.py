"""Suppression holds on the leaders' dashboards for any district and any filter (property test).

The generated district gives every teacher the same coaching (a completed cycle a few days ago, ITU rated
at baseline and end) so that the size of every group is known: a school's figures are over its teachers,
a coach's (one coach per school) over the same teachers, the district's over them all. Whatever the
filters, a figure over 1 to k-1 teachers must read "fewer than k" — or be a zero, which singles nobody
out — and a figure over k or more teachers must be shown.
"""

import dataclasses
import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from coaching.models import Challenge, Cycle, Enrollment, ITUIndicator, ITURating, ITUScore, Step
from dashboard import services
from dashboard.selectors import Figure
from testing import factories as f

pytestmark = pytest.mark.django_db


def figures(value) -> list[Figure]:
    """Every Figure inside a context value (dataclasses, lists, tuples)."""
    if isinstance(value, Figure):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for field in dataclasses.fields(value) for x in figures(getattr(value, field.name))]
    if isinstance(value, list | tuple):
        return [x for item in value for x in figures(item)]
    return []


def assert_suppressed_by(found: list[Figure], teachers: int, k: int) -> None:
    for figure in found:
        if 0 < teachers < k:
            assert figure.suppressed or figure.value == 0, f"{figure} shown over {teachers} teachers (k={k})"
        elif teachers >= k:
            assert not figure.suppressed, f"{figure} hidden over {teachers} teachers (k={k})"


def build(cast, sizes: list[int], k: int) -> list:
    """Schools (Lincoln first) with `sizes` teachers, each school with its own coach, all coached alike."""
    cast.district.suppression_k = k
    cast.district.save()
    now = timezone.now() - datetime.timedelta(days=3)
    schools = [cast.school, *(f.SchoolFactory(district=cast.district) for _ in sizes[1:])]
    cast.program.schools.add(*schools)
    Enrollment.objects.filter(teacher=cast.teacher).delete()  # maria: not part of the generated shape
    for school, size in zip(schools, sizes, strict=True):
        coach = f.UserFactory()
        f.MembershipFactory(user=coach, district=cast.district, role=Role.COACH)
        cast.program.coaches.add(coach)
        for _ in range(size):
            teacher = f.TeacherFactory(school=school)
            enrollment = Enrollment.objects.create(
                program=cast.program, coach=coach, teacher=teacher, last_contact_on=now.date(),
                starts_on=now.date() - datetime.timedelta(days=60),
            )  # fmt: skip
            challenge = Challenge.objects.create(
                enrollment=enrollment, title="t", category="instructional", status="closed", outcome="resolved",
                closed_on=now.date(), strategy=cast.strategy,
            )  # fmt: skip
            cycle = Cycle.objects.create(challenge=challenge, number=1, strategy=cast.strategy, completed_on=now.date())
            for kind in Step.ORDER:
                Step.objects.create(cycle=cycle, kind=kind, starts_at=now, done=True, minutes=30)
            for phase, score in ((ITURating.Phase.BASELINE, 2), (ITURating.Phase.END, 4)):
                rating = ITURating.objects.create(enrollment=enrollment, phase=phase)
                ITUScore.objects.bulk_create(
                    ITUScore(rating=rating, indicator=i, frequency=score, proficiency=score)
                    for i in ITUIndicator.values
                )
    services.rollup_rebuild()
    return schools


today = datetime.date.today()
RANGES = st.sampled_from(
    [
        {},
        {"start": (today - datetime.timedelta(days=10)).isoformat()},
        {
            "start": (today - datetime.timedelta(days=400)).isoformat(),
            "end": (today - datetime.timedelta(days=200)).isoformat(),
        },
        {"end": today.isoformat()},
        {"start": "not a date"},
    ]
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(0, 7), min_size=1, max_size=3),
    k=st.integers(1, 6),
    school_filter=st.integers(-1, 2),
    program_filter=st.booleans(),
    dates=RANGES,
)
def test_it_suppresses_every_leader_figure_in_every_filter_combination(
    client, cast, sizes, k, school_filter, program_filter, dates
):
    with transaction.atomic():
        schools = build(cast, sizes, k)
        query = dict(dates)
        if program_filter:
            query["program"] = cast.program.pk
        chosen = schools[school_filter] if 0 <= school_filter < len(schools) else None
        if chosen:
            query["school"] = chosen.pk

        client.force_login(cast.dana)
        context = {}  # the district dashboard's three pages: the overview, its schools and its coaches
        pages = {"district": ("filters", "itu", "itu_headline", "trend"), "district_schools": ("schools",),
                 "district_coaches": ("coaches",)}  # fmt: skip
        for name, shown in pages.items():
            response = client.get(reverse(f"dashboard:{name}"), query)
            assert response.status_code == 200
            context |= {key: response.context[key] for key in shown}
        if "school" in context["filters"].errors:
            chosen = None  # a refused filter is shown with its error and left out; the others apply
        size = dict(zip([s.pk for s in schools], sizes, strict=True))
        for row, itu in context["schools"]:
            assert itu.school == row.school
            assert_suppressed_by(figures(row), size[row.school.pk], k)
            assert_suppressed_by(figures(itu), size[row.school.pk], k)
        for row in context["coaches"]:
            teachers = Enrollment.objects.filter(coach=row.coach)
            if chosen:
                teachers = teachers.filter(teacher__school=chosen)
            assert not row.caseload.suppressed  # shown as it is: the admin assigns caseloads
            assert_suppressed_by([f for f in figures(row) if f is not row.caseload], teachers.count(), k)
        total = size[chosen.pk] if chosen else sum(sizes)
        for name in ("itu", "itu_headline", "trend"):
            assert_suppressed_by(figures(context[name]), total, k)

        client.force_login(cast.paula)  # Lincoln's principal
        response = client.get(
            reverse("dashboard:school"), {**dates, **({"program": cast.program.pk} if program_filter else {})}
        )
        assert response.status_code == 200
        context = response.context
        for name in ("figures", "itu", "itu_headline", "trend", "goals", "challenges"):
            assert_suppressed_by(figures(context[name]), sizes[0], k)
        transaction.set_rollback(True)
