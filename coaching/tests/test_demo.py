import datetime
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from accounts import scoping
from accounts.models import District, Membership, Role, School, User
from coaching.management.commands.demo import PASSWORD, USERS
from coaching.models import Challenge, Cycle, Enrollment, ITURating, Step, Strategy, Teacher
from coaching.selectors import coach_home
from dashboard import selectors
from dashboard.models import CoachMonth, CoachStandardMonth, EnrollmentMonth

pytestmark = pytest.mark.django_db


def run_demo(capsys, *args) -> str:
    call_command("demo", *args)
    return capsys.readouterr().out


def counts() -> dict[str, int]:
    models = (District, School, User, Membership, Teacher, Enrollment, Strategy, Challenge, Cycle, Step, ITURating)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_loads_a_realistic_district(capsys):
    out = run_demo(capsys)

    district = District.objects.get(slug="demo")
    assert district.name == "Riverside Unified School District"
    assert district.timezone == "America/Chicago"
    assert School.objects.filter(district=district).count() == 2
    assert Membership.objects.filter(district=district, role=Role.COACH).count() == 2
    assert Teacher.objects.filter(school__district=district).count() == 20
    assert Enrollment.objects.filter(program__district=district, ends_on__isnull=True).count() == 20
    assert Strategy.objects.filter(district=district).count() >= 15
    assert Strategy.objects.filter(district=district, category="professional_growth").exists()
    assert not Strategy.objects.filter(district=district, tools__isnull=True).exists()

    statuses = set(Challenge.objects.values_list("status", flat=True))
    assert {"identify", "investigate", "select", "implement", "closed"} <= statuses
    reflect_ready = Challenge.objects.filter(status="implement", cycles__completed_on__isnull=False).exclude(
        cycles__completed_on__isnull=True
    )
    assert "reflect" in statuses or reflect_ready.exists()
    assert Challenge.objects.filter(status="closed", outcome="resolved", cycles__completed_on__isnull=False).exists()
    assert Cycle.objects.filter(number=2).exists()  # an iterate
    assert Step.objects.filter(done=False).exists()
    assert not Step.objects.filter(standards__isnull=True).exists()
    assert ITURating.objects.filter(phase="baseline").count() >= 10
    assert ITURating.objects.filter(phase="end").exists()

    # The principal of Lincoln sees what each goal drew (once, every row read "fewer than 5").
    lincoln, programs = School.objects.get(name="Lincoln Middle School"), list(district.programs.all())
    group = selectors.population(programs=programs, school=lincoln)
    goals = selectors.goal_alignment(district, lincoln, programs, group=group)
    assert len(goals) == 3 and not any(row.challenges.suppressed for row in goals), goals

    home = coach_home(User.objects.get(email="coach@demo.cadence.test"))
    assert home.today and home.stale_visits and home.not_contacted
    assert home.caseload_size == 10

    assert "coach@demo.cadence.test" in out
    assert "cadence-demo" in out


def test_demo_steps_are_at_school_hours_in_cycle_order(capsys):
    run_demo(capsys)

    chicago = zoneinfo.ZoneInfo("America/Chicago")
    for cycle in Cycle.objects.prefetch_related("steps"):
        steps = list(cycle.steps.all())  # ordered by starts_at
        assert [step.kind for step in steps] == list(Step.ORDER[: len(steps)])
        for step in steps:
            assert 9 <= timezone.localtime(step.starts_at, chicago).hour < 15


def test_running_twice_does_not_duplicate(capsys):
    run_demo(capsys)
    before = counts()

    out = run_demo(capsys)

    assert counts() == before
    assert "already exists" in out
    assert "coach@demo.cadence.test" in out


def test_reset_reloads_the_demo(capsys):
    run_demo(capsys)
    before = counts()
    Challenge.objects.filter(status="identify").first().delete()  # the demo was changed since

    out = run_demo(capsys, "--reset")

    assert counts() == before
    assert "Loaded" in out
    assert District.objects.filter(slug="demo").count() == 1


def test_every_demo_login_authenticates(capsys):
    run_demo(capsys)

    for _, _, email, _ in USERS:
        assert authenticate(RequestFactory().post("/login/"), username=email, password=PASSWORD) is not None, email
    assert PASSWORD == "cadence-demo"


def test_demo_coaching_is_spread_over_the_months_since_the_program_started(capsys):
    """Each month has a coach's steady load, in proportion to its school days (the demo once put its whole
    history in the program's first weeks): steps done, hours of 1:1 coaching, school-wide work and learning,
    standards tagged; and the district's month-by-month figures are never too few teachers to show."""
    run_demo(capsys)

    district = District.objects.get(slug="demo")
    today = timezone.localdate()
    programs = list(selectors.current_programs(district, today))
    period = selectors.program_period(programs, today)
    days = (period.start + datetime.timedelta(days=i) for i in range((today - period.start).days + 1))
    school_days = Counter(day.replace(day=1) for day in days if day.weekday() < 5)
    months = [month for month in period.months if school_days[month] >= 10]  # a month's first days say little
    assert len(months) >= 3
    for coach in User.objects.filter(membership__role=Role.COACH, membership__district=district):
        email = coach.email
        work = selectors.month_sums(scoping.coach_figures(coach, EnrollmentMonth), period)
        steps = {m.month: m.steps.value for m in selectors.trend(work, period, k=None)}
        time = {m.month: m for m in selectors.coach_time(scoping.coach_figures(coach, CoachMonth), period, work)}
        coverage = selectors.standards_coverage(scoping.coach_figures(coach, CoachStandardMonth), period)
        for month in months:
            n, i = school_days[month], period.months.index(month)
            # In a month of 22 school days: 15 to 44 steps done, 9 to 26 hours of 1:1 coaching.
            assert 0.7 * n <= steps[month] <= 2 * n, (email, month, steps[month])
            assert 0.4 * n <= time[month].one_to_one <= 1.2 * n, (email, month, time[month])
            assert time[month].school_wide and time[month].learning, (email, month, time[month])
            assert sum(1 for row in coverage if row.cells[i][0]) >= 6, (email, month)
    group = selectors.population(programs=programs)
    rows = selectors.Levels(programs).month_rows()
    trend = selectors.trend(rows, period, k=district.suppression_k, group=group)
    for m in trend:
        if m.month in months:
            assert not (m.teachers.suppressed or m.steps.suppressed or m.hours.suppressed), m
