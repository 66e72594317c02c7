"""The read model: rollups equal the figures computed live from the raw rows, after any sequence of writes.

The live figures below are computed in plain Python from the raw rows, independently of the grouped
queries in dashboard.services, so a mistake in either shows as a difference.
"""

import datetime
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import scoping
from accounts import services as account_services
from coaching import services as coaching
from coaching.models import Activity, Challenge, Enrollment, ITUIndicator, ITURating, Reflection, Step, Teacher
from config import rollups
from dashboard import selectors, services
from dashboard.models import (
    ChallengeCount,
    CoachMonth,
    CoachStandardMonth,
    CoachStandardYear,
    EnrollmentCadence,
    EnrollmentITU,
    EnrollmentMonth,
    ProgramTeacher,
    SchoolITU,
    SchoolMonth,
    SchoolWideMonth,
    TeacherYear,
)
from dashboard.tests.helpers import Status, enroll
from districts import services as district_services
from standards.models import Standard
from testing.factories import challenge_at, day

pytestmark = pytest.mark.django_db
Kind = Step.Kind


def _month(day: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(day, datetime.datetime):
        day = timezone.localdate(day)
    return day.replace(day=1)


def live_enrollment_months() -> set[tuple]:
    cells: dict[tuple, Counter] = defaultdict(Counter)
    for step in Step.objects.filter(done=True).select_related("cycle__challenge__enrollment"):
        cell = cells[(step.cycle.challenge.enrollment_id, _month(step.starts_at))]
        cell[{Kind.PLAN_MEETING: "plan_meetings", Kind.VISIT: "visits", Kind.DEBRIEF: "debriefs"}[step.kind]] += 1
        cell["step_minutes"] += step.minutes
    for reflection in Reflection.objects.select_related("challenge"):
        cell = cells[(reflection.challenge.enrollment_id, _month(reflection.held_on))]
        cell["reflections"] += 1
        cell["reflection_minutes"] += reflection.minutes
    for touchpoint in Activity.objects.exclude(enrollment=None):
        cell = cells[(touchpoint.enrollment_id, _month(touchpoint.held_on))]
        cell["touchpoints"] += 1
        cell["touchpoint_minutes"] += touchpoint.minutes
    for challenge in Challenge.objects.prefetch_related("cycles"):
        for cycle in challenge.cycles.all():
            if cycle.completed_on:
                cells[(challenge.enrollment_id, _month(cycle.completed_on))]["cycles_completed"] += 1
        if challenge.outcome == Challenge.Outcome.RESOLVED and challenge.closed_on:
            cells[(challenge.enrollment_id, _month(challenge.closed_on))]["resolved"] += 1
    enrollments = {e.pk: e for e in Enrollment.objects.select_related("teacher")}
    return {
        (
            enrollment_id,
            month,
            enrollments[enrollment_id].program_id,
            enrollments[enrollment_id].coach_id,
            enrollments[enrollment_id].teacher.school_id,
            enrollments[enrollment_id].teacher_id,
            *(cell[name] for name in EnrollmentMonth.FIGURES),
        )
        for (enrollment_id, month), cell in cells.items()
    }


def stored_enrollment_months() -> set[tuple]:
    columns = ("enrollment_id", "month", "program_id", "coach_id", "school_id", "teacher_id", *EnrollmentMonth.FIGURES)
    return set(EnrollmentMonth.objects.values_list(*columns))


def live_cadence() -> set[tuple]:
    """Per enrollment, the days plan meeting → visit and visit → debrief in its latest cycle: the newest, by its
    challenge's opening (then id) and its number, with a step done; none when neither is known."""
    latest: dict[int, tuple] = {}
    days: dict[tuple, dict[str, datetime.date]] = defaultdict(dict)
    for step in Step.objects.filter(done=True).select_related("cycle__challenge"):
        challenge = step.cycle.challenge
        newest = (challenge.opened_on, challenge.pk, step.cycle.number)
        latest[challenge.enrollment_id] = max(latest.get(challenge.enrollment_id, newest), newest)
        days[(challenge.enrollment_id, newest)][step.kind] = timezone.localdate(step.starts_at)
    rows = set()
    for enrollment_id, newest in latest.items():
        day = days[(enrollment_id, newest)]
        pairs = ((Kind.PLAN_MEETING, Kind.VISIT), (Kind.VISIT, Kind.DEBRIEF))
        gaps = [(day[b] - day[a]).days if a in day and b in day else None for a, b in pairs]
        if gaps != [None, None]:
            rows.add((enrollment_id, *gaps))
    return rows


def stored_cadence() -> set[tuple]:
    return set(EnrollmentCadence.objects.values_list("enrollment_id", "plan_to_visit", "visit_to_debrief"))


def live_itu() -> set[tuple]:
    rows = set()
    for enrollment in Enrollment.objects.select_related("teacher").prefetch_related("itu_ratings__scores"):
        phases = {
            rating.phase: {s.indicator: s for s in rating.scores.all()} for rating in enrollment.itu_ratings.all()
        }
        for indicator, base in phases.get(ITURating.Phase.BASELINE, {}).items():
            later = phases.get(ITURating.Phase.END) or phases.get(ITURating.Phase.MID) or {}
            latest = later.get(indicator)
            rows.add(
                (
                    enrollment.pk,
                    indicator,
                    enrollment.coach_id,
                    enrollment.teacher.school_id,
                    enrollment.teacher_id,
                    base.frequency,
                    base.proficiency,
                    latest and latest.frequency,
                    latest and latest.proficiency,
                )
            )
    return rows


def stored_itu() -> set[tuple]:
    columns = ("enrollment_id", "indicator", "coach_id", "school_id", "teacher_id", "baseline_frequency")
    columns += ("baseline_proficiency",)
    return set(EnrollmentITU.objects.values_list(*columns, "latest_frequency", "latest_proficiency"))


def live_coach() -> tuple[set, set]:
    activity, standards = Counter(), Counter()
    for a in Activity.objects.prefetch_related("standards"):
        activity[(a.coach_id, a.enrollment_id, _month(a.held_on), a.kind, a.school_id, "count")] += 1
        activity[(a.coach_id, a.enrollment_id, _month(a.held_on), a.kind, a.school_id, "minutes")] += a.minutes
        for standard in a.standards.all():
            standards[(a.coach_id, a.enrollment_id, _month(a.held_on), standard.pk)] += 1
    for step in Step.objects.filter(done=True).select_related("cycle__challenge__enrollment"):
        enrollment = step.cycle.challenge.enrollment
        for standard in step.standards.all():
            standards[(enrollment.coach_id, enrollment.pk, _month(step.starts_at), standard.pk)] += 1
    for reflection in Reflection.objects.select_related("challenge__enrollment").prefetch_related("standards"):
        enrollment = reflection.challenge.enrollment
        for standard in reflection.standards.all():
            standards[(enrollment.coach_id, enrollment.pk, _month(reflection.held_on), standard.pk)] += 1
    for challenge in Challenge.objects.select_related("enrollment"):
        stages = (challenge.identify_standards, challenge.investigate_standards, challenge.select_standards)
        for standard in (standard for stage in stages for standard in stage.all()):
            standards[
                (challenge.enrollment.coach_id, challenge.enrollment_id, _month(challenge.opened_on), standard.pk)
            ] += 1
    keys = {key[:5] for key in activity}
    months = {(*key, activity[(*key, "count")], activity[(*key, "minutes")]) for key in keys}
    return months, {(*key, n) for key, n in standards.items()}


def stored_coach() -> tuple[set, set]:
    columns = ("coach_id", "enrollment_id", "month", "kind", "school_id", "count", "minutes")
    months = list(CoachMonth.objects.values_list(*columns))
    standards = list(
        CoachStandardMonth.objects.values_list("coach_id", "enrollment_id", "month", "standard_id", "uses")
    )
    assert len(set(months)) == len(months) and len(set(standards)) == len(standards), "a rollup row counted twice"
    return set(months), set(standards)


def live_level_two() -> tuple[set, set, set]:
    """Level 2 (per program and school) from the live level-1 figures above, by plain Python."""
    months: dict[tuple, Counter] = defaultdict(Counter)
    coached: dict[tuple, set] = defaultdict(set)
    masks: dict[tuple, Counter] = defaultdict(Counter)
    for _, month, program, _, school, teacher, *values in live_enrollment_months():
        figures = dict(zip(EnrollmentMonth.FIGURES, values, strict=True))
        months[(program, school, month)].update(figures)
        one_to_one = figures["step_minutes"] + figures["reflection_minutes"] + figures["touchpoint_minutes"]
        if one_to_one:
            coached[(program, school, month)].add(teacher)
        figures["coached"] = one_to_one
        for mask in TeacherYear.MASKS:
            if figures[mask]:
                masks[(program, school, teacher, month.year)][mask] |= 1 << (month.month - 1)
    school_months = {
        (*key, len(coached[key]), *(cell[name] for name in EnrollmentMonth.FIGURES)) for key, cell in months.items()
    }
    teacher_years = {(*key, *(cell[mask] for mask in TeacherYear.MASKS)) for key, cell in masks.items()}
    program_of = dict(Enrollment.objects.values_list("pk", "program_id"))
    itu: dict[tuple, dict] = {}
    deltas: dict[tuple, int] = defaultdict(int)
    for enrollment, indicator, _, school, teacher, bf, bp, lf, lp in live_itu():
        if lf is None:
            continue
        program = program_of[enrollment]
        cell = itu.setdefault((program, school, indicator), {"teachers": set(), "ratings": 0, "sums": [0, 0, 0, 0]})
        cell["teachers"].add(teacher)
        cell["ratings"] += 1
        cell["sums"] = [a + b for a, b in zip(cell["sums"], (bf, lf, bp, lp), strict=True)]
        deltas[(program, school, teacher)] += lf + lp - bf - bp
    school_itu = {(*key, len(c["teachers"]), c["ratings"], 0, *c["sums"]) for key, c in itu.items()}
    headlines: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for (program, school, _), delta in deltas.items():
        headlines[(program, school)][0] += 1
        headlines[(program, school)][1] += delta > 0
    school_itu |= {
        (program, school, "", rated, 0, rose, 0, 0, 0, 0) for (program, school), (rated, rose) in headlines.items()
    }
    return school_months, teacher_years, school_itu


def stored_level_two() -> tuple[set, set, set]:
    months = SchoolMonth.objects.values_list("program_id", "school_id", "month", "coached", *EnrollmentMonth.FIGURES)
    years = TeacherYear.objects.values_list("program_id", "school_id", "teacher_id", "year", *TeacherYear.MASKS)
    sums = ("baseline_frequency", "latest_frequency", "baseline_proficiency", "latest_proficiency")
    itu = SchoolITU.objects.values_list("program_id", "school_id", "indicator", "teachers", "ratings", "rose", *sums)
    return set(months), set(years), set(itu)


def live_program_teachers() -> set[tuple]:
    """Each teacher's place in each program, from their enrollments: on a caseload while one has not ended, and the
    latest contact of those."""
    places: dict[tuple, list] = {}
    for enrollment in Enrollment.objects.select_related("teacher"):
        place = places.setdefault((enrollment.program_id, enrollment.teacher_id, enrollment.teacher.school_id), [])
        if enrollment.ends_on is None:
            place.append(enrollment.last_contact_on)
    return {
        (*key, bool(contacts), max((day for day in contacts if day), default=None)) for key, contacts in places.items()
    }


def stored_program_teachers() -> set[tuple]:
    columns = ("program_id", "teacher_id", "school_id", "on_caseload", "last_contact_on")
    return set(ProgramTeacher.objects.values_list(*columns))


def live_challenge_counts() -> set[tuple]:
    """Each teacher's challenges per program, category, status and goal, under their school, from the challenges."""
    counts: Counter = Counter()
    for challenge in Challenge.objects.select_related("enrollment__teacher"):
        enrollment = challenge.enrollment
        key = (enrollment.program_id, enrollment.teacher_id, enrollment.teacher.school_id)
        counts[(*key, challenge.category, challenge.status, challenge.goal_id)] += 1
    return {(*key, n) for key, n in counts.items()}


def stored_challenge_counts() -> set[tuple]:
    columns = ("program_id", "teacher_id", "school_id", "category", "status", "goal_id", "challenges")
    rows = list(ChallengeCount.objects.values_list(*columns))
    assert len(set(rows)) == len(rows), "a rollup row counted twice"
    return set(rows)


def live_school_wide() -> set[tuple]:
    """Each school's school-wide work per month (count, minutes), from the activities."""
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for activity in Activity.objects.filter(kind__in=SchoolWideMonth.KINDS, school__isnull=False):
        cell = sums[(activity.school_id, _month(activity.held_on))]
        cell[0] += 1
        cell[1] += activity.minutes
    return {(*key, count, minutes) for key, (count, minutes) in sums.items()}


def stored_school_wide() -> set[tuple]:
    return set(SchoolWideMonth.objects.values_list("school_id", "month", "count", "minutes"))


def live_coach_standard_years() -> set[tuple]:
    """Each coach's month masks per program (None: school-wide work) and standard, from the live tags."""
    program_of = dict(Enrollment.objects.values_list("pk", "program_id"))
    masks: dict[tuple, int] = defaultdict(int)
    for coach, enrollment, month, standard, _ in live_coach()[1]:
        masks[(coach, program_of.get(enrollment), standard, month.year)] |= 1 << (month.month - 1)
    return {(*key, bits) for key, bits in masks.items()}


def stored_coach_standard_years() -> set[tuple]:
    rows = list(CoachStandardYear.objects.values_list("coach_id", "program_id", "standard_id", "year", "months"))
    assert len(set(rows)) == len(rows), "a rollup row counted twice"
    return set(rows)


def assert_rollups_are_live() -> None:
    assert stored_enrollment_months() == live_enrollment_months()
    assert stored_cadence() == live_cadence()
    assert stored_itu() == live_itu()
    assert stored_coach() == live_coach()
    assert stored_level_two() == live_level_two()
    assert stored_program_teachers() == live_program_teachers()
    assert stored_challenge_counts() == live_challenge_counts()
    assert stored_school_wide() == live_school_wide()
    assert stored_coach_standard_years() == live_coach_standard_years()


# --- the operations a property test draws ---------------------------------------------------------

indicators = st.sampled_from(ITUIndicator.values)
SCORES = {i: (2, 2) for i in ITUIndicator.values}
scores = st.fixed_dictionaries({i: st.tuples(st.integers(1, 5), st.integers(1, 5)) for i in ITUIndicator.values})
OPERATIONS = st.one_of(
    st.tuples(st.just("step"), st.integers(0, 3), st.integers(0, 40), st.booleans(), st.integers(-1, 17)),
    st.tuples(st.just("edit"), st.integers(0, 3), st.integers(-60, 60), st.booleans(), st.integers(-1, 17)),
    st.tuples(st.just("cancel"), st.integers(0, 3)),
    st.tuples(st.just("again"), st.integers(0, 3)),  # a new challenge once the last one closed
    st.tuples(st.just("reflect"), st.integers(0, 3), st.sampled_from(Reflection.Decision.values), st.integers(0, 40)),
    st.tuples(st.just("activity"), st.integers(-1, 3), st.sampled_from(Activity.Kind.values), st.integers(-200, 0)),
    st.tuples(st.just("itu"), st.integers(0, 3), st.sampled_from(ITURating.Phase.values), scores),
    st.tuples(st.just("move"), st.integers(0, 3)),
    st.tuples(st.just("end"), st.integers(0, 3)),  # off the caseload…
    st.tuples(st.just("assign"), st.integers(0, 3)),  # …and back on it, with a new enrollment
    st.tuples(st.just("erase"), st.integers(0, 3)),
)


class World:
    """Four teachers at Lincoln, two on alice's caseload and two on bob's, each implementing a strategy."""

    def __init__(self, cast):
        self.cast = cast
        self.standards = list(Standard.objects.order_by("code"))
        self.enrollments = enroll(cast, 2, status=Challenge.Status.IMPLEMENT) + enroll(
            cast, 2, status=Challenge.Status.IMPLEMENT, coach=cast.bob
        )

    def enrollment(self, i: int) -> Enrollment | None:
        enrollment = self.enrollments[i]
        return Enrollment.objects.filter(pk=enrollment.pk).select_related("teacher", "program").first()

    def challenge(self, i: int) -> Challenge | None:
        enrollment = self.enrollment(i)
        return enrollment and enrollment.challenges.exclude(status=Challenge.Status.CLOSED).first()

    def last_day(self, challenge: Challenge) -> datetime.datetime:
        last = Step.objects.filter(cycle__challenge=challenge).order_by("-starts_at").first()
        start = timezone.make_aware(datetime.datetime(2026, 9, 1, 10))
        return last.starts_at if last else start

    def last_step(self, i: int) -> Step | None:
        return Step.objects.filter(cycle__challenge__enrollment=self.enrollments[i]).last()

    def run(self, operation: tuple) -> None:
        name, i, *args = operation
        if name == "step" and (challenge := self.challenge(i)):
            gap, done, tag = args
            cycle = challenge.current_cycle
            kind = cycle and cycle.next_kind
            if kind:
                starts_at = self.last_day(challenge) + datetime.timedelta(days=gap)
                coaching.step_log(
                    challenge=challenge,
                    kind=kind,
                    starts_at=starts_at,
                    done=done,
                    visit_mode=Step.VisitMode.OBSERVE if kind == Kind.VISIT else "",
                    standards=self.standards[tag : tag + 1] if tag >= 0 else [],  # -1: untagged
                )
        elif name == "edit" and (step := self.last_step(i)):
            shift, done, tag = args
            coaching.step_update(
                step=step,
                starts_at=step.starts_at + datetime.timedelta(days=shift),
                done=done,
                standards=self.standards[tag : tag + 1] if tag >= 0 else [],
            )
        elif name == "again" and (enrollment := self.enrollment(i)) and not self.challenge(i):
            challenge_at(self.cast, Challenge.Status.IMPLEMENT, enrollment=enrollment)
        elif name == "cancel" and (step := self.last_step(i)):
            coaching.step_cancel(step=step)  # refused unless scheduled and its cycle's last
        elif name == "reflect" and (challenge := self.challenge(i)):
            decision, gap = args
            day = timezone.localdate(self.last_day(challenge)) + datetime.timedelta(days=gap)
            coaching.challenge_reflect(
                challenge=challenge, decision=decision, held_on=day, minutes=20, standards=self.standards[4:6]
            )
        elif name == "activity":
            kind, days = args
            enrollment = self.enrollment(i) if i >= 0 else None
            touchpoint = kind == Activity.Kind.TOUCHPOINT
            if touchpoint and enrollment is None:
                return
            coaching.activity_log(
                actor=enrollment.coach if enrollment else self.cast.alice,
                kind=kind,
                enrollment=enrollment if touchpoint else None,
                school=self.cast.school,
                held_on=datetime.date(2026, 11, 30) + datetime.timedelta(days=days),
                minutes=25,
                standards=self.standards[10:12],
            )
        elif name == "itu" and (enrollment := self.enrollment(i)):
            phase, given_scores = args
            coaching.itu_rate(
                enrollment=enrollment, phase=phase, rated_on=datetime.date(2026, 10, 1), scores=given_scores
            )
        elif name == "move" and (enrollment := self.enrollment(i)):
            other = self.cast.bob if enrollment.coach_id == self.cast.alice.pk else self.cast.alice
            self.enrollments[i] = district_services.enrollment_move(
                actor=self.cast.dana, enrollment=enrollment, coach=other
            )
        elif name == "end" and (enrollment := self.enrollment(i)):
            district_services.enrollment_end(actor=self.cast.dana, enrollment=enrollment)
        elif name == "assign" and (enrollment := self.enrollment(i)) and enrollment.ends_on is not None:
            [self.enrollments[i]] = district_services.caseload_assign(
                actor=self.cast.dana, program=enrollment.program, coach=enrollment.coach, teachers=[enrollment.teacher]
            )
        elif name == "erase" and (enrollment := self.enrollment(i)):
            services.teacher_erase(
                actor=self.cast.dana, teacher=enrollment.teacher, confirmation=enrollment.teacher.name
            )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_it_keeps_the_rollups_equal_to_the_live_figures(cast, operations):
    with transaction.atomic():
        world = World(cast)
        for operation in operations:
            try:
                with transaction.atomic():
                    world.run(operation)
            except ValidationError:
                pass  # an operation the services refuse here (the cycle's order, a closed challenge)
            assert_rollups_are_live()  # after each write: a later write to the same school must not hide a miss
        # And a rebuild from scratch comes to the same rows.
        services.rollup_rebuild()
        assert_rollups_are_live()
        transaction.set_rollback(True)


def assert_the_migration_fills_them_again(migration: str, model: type, stored) -> None:
    """Empty `model`, run `migration`'s fill on the rows as they are: `stored()` reads what it read before."""
    import importlib

    from django.apps import apps

    kept = stored()
    model.objects.all().delete()
    importlib.import_module(f"dashboard.migrations.{migration}").fill(apps, None)
    assert stored() == kept


def test_the_migration_fills_each_enrollments_cadence_as_the_refresh_keeps_it(cast):
    enroll(cast, 1, status=Challenge.Status.CLOSED)  # a full cycle: a day, then a day
    enroll(cast, 1, status=Challenge.Status.IMPLEMENT)  # no step done: no row
    assert stored_cadence() == live_cadence() and len(stored_cadence()) == 1
    assert_the_migration_fills_them_again("0012_enrollment_cadence", EnrollmentCadence, stored_cadence)


def test_the_migration_fills_each_teachers_place_in_a_program_as_the_refresh_keeps_it(cast):
    world = World(cast)
    for operation in (("step", 0, 1, True, 3), ("move", 1), ("end", 2), ("activity", 3, Activity.Kind.TOUCHPOINT, 0)):
        world.run(operation)
    assert stored_program_teachers() == live_program_teachers() and len(stored_program_teachers()) == 5
    assert_the_migration_fills_them_again("0014_program_teacher", ProgramTeacher, stored_program_teachers)


def test_the_migration_fills_each_teachers_challenges_as_the_refresh_keeps_them(cast):
    for status in (Status.CLOSED, Status.IMPLEMENT, Status.IMPLEMENT, Status.IDENTIFY):  # a row per teacher
        enroll(cast, 1, status=status)
    assert stored_challenge_counts() == live_challenge_counts() and len(stored_challenge_counts()) == 4
    assert_the_migration_fills_them_again("0017_challenge_count", ChallengeCount, stored_challenge_counts)


def test_the_migration_fills_each_schools_school_wide_work_as_the_refresh_keeps_it(cast):
    world = World(cast)
    for n, kind in enumerate((Activity.Kind.PLC, Activity.Kind.STORY, Activity.Kind.PLC, Activity.Kind.PD)):
        world.run(("activity", -1, kind, -40 * n))  # three months of school-wide work; PD is not school-wide work
    assert stored_school_wide() == live_school_wide() and len(stored_school_wide()) == 3
    assert_the_migration_fills_them_again("0015_school_wide_month", SchoolWideMonth, stored_school_wide)


def test_the_migration_fills_each_coachs_standards_by_month_as_the_refresh_keeps_it(cast):
    world = World(cast)
    for operation in (("step", 0, 1, True, 3), ("step", 2, 40, True, 5), ("activity", -1, Activity.Kind.PLC, 0)):
        world.run(operation)
    kept = stored_coach_standard_years()
    assert kept == live_coach_standard_years()
    assert {program for _, program, *_ in kept} == {cast.program.pk, None}  # 1:1 work, and school-wide work
    assert_the_migration_fills_them_again("0016_coach_standard_year", CoachStandardYear, stored_coach_standard_years)


def test_it_rebuilds_the_rollups_with_a_command_and_a_task(cast, capsys):
    from dashboard.tasks import rebuild_rollups

    enrollment = enroll(cast, 1, status=Challenge.Status.CLOSED)[0]
    live = live_enrollment_months()
    assert {row[0] for row in live} == {enrollment.pk}
    EnrollmentMonth.objects.all().delete()
    CoachStandardMonth.objects.all().delete()
    call_command("rebuild_rollups")
    assert f"EnrollmentMonth: {len(live)} rows" in capsys.readouterr().out  # two on the first days of a month
    assert_rollups_are_live()
    EnrollmentMonth.objects.all().delete()
    rebuild_rollups.delay()
    assert_rollups_are_live()


def test_it_registers_the_read_model_on_the_one_hook():
    assert rollups.listeners() == {"dashboard": "dashboard.services.rollup_refresh"}


def test_it_rolls_the_rollups_back_with_a_refused_write(cast):
    challenge = challenge_at(cast, Challenge.Status.IMPLEMENT)
    with pytest.raises(ValidationError), transaction.atomic():
        coaching.step_log(challenge=challenge, kind=Kind.PLAN_MEETING, starts_at=timezone.now(), done=True)
        coaching.step_log(challenge=challenge, kind=Kind.PLAN_MEETING, starts_at=timezone.now(), done=True)
    assert not EnrollmentMonth.objects.filter(enrollment=cast.enrollment).exists()


def test_a_batch_refreshes_the_rollups_once_at_its_end_and_not_after_an_error(cast):
    """`rollups.batched` (the demo's load): the writes inside it leave the read model alone until the block ends,
    then one refresh makes it live; a block that fails refreshes nothing, and its transaction rolls back."""
    world = World(cast)
    before = stored_enrollment_months(), stored_itu(), stored_coach()
    with transaction.atomic(), rollups.batched():
        writes = (("step", 0, 1, True, 3), ("activity", 0, Activity.Kind.TOUCHPOINT, 0), ("step", 1, 1, True, 3))
        for operation in writes:
            world.run(operation)
        with rollups.batched():  # a nested block joins the outer one
            world.run(("itu", 0, "baseline", SCORES))
        assert (stored_enrollment_months(), stored_itu(), stored_coach()) == before
    assert stored_enrollment_months() != before[0] and stored_itu() != before[1]
    assert_rollups_are_live()

    stored = stored_enrollment_months()
    with pytest.raises(RuntimeError), transaction.atomic(), rollups.batched():
        world.run(("step", 0, 2, True, 3))
        raise RuntimeError
    assert stored_enrollment_months() == stored
    assert_rollups_are_live()


def test_it_takes_an_erased_teacher_out_of_the_school_rollups(cast):
    world = World(cast)
    for operation in (("step", 0, 1, True, 3), ("step", 1, 1, True, 3), ("itu", 0, "baseline", SCORES)):
        world.run(operation)
    world.run(("itu", 0, "end", {i: (5, 5) for i in ITUIndicator.values}))
    erased = world.enrollments[0].teacher_id
    assert TeacherYear.objects.filter(teacher_id=erased).exists()
    assert SchoolITU.objects.filter(indicator=SchoolITU.HEADLINE).get().rose == 1
    world.run(("erase", 0))
    assert not TeacherYear.objects.filter(teacher_id=erased).exists()
    assert SchoolMonth.objects.get().coached == 1  # the other teacher's visit stays
    assert not SchoolITU.objects.exists()
    assert_rollups_are_live()


def test_it_recomputes_only_the_writing_coachs_rows(cast):
    """A coach's write recomputes their rows of the months it touched; another coach's school-wide work
    of the same month is neither lost nor counted twice."""
    world = World(cast)
    world.run(("activity", 2, Activity.Kind.PLC, 0))  # bob's PLC, tagged, this month
    before = stored_coach()
    world.run(("activity", 0, Activity.Kind.TOUCHPOINT, 0))  # alice's touchpoint, the same month
    world.run(("activity", -1, Activity.Kind.PD, 0))  # alice's own PD, the same month
    bob = {row for rows in before for row in rows if row[0] == cast.bob.pk}
    assert bob and bob <= {row for rows in stored_coach() for row in rows}
    assert_rollups_are_live()


def test_it_counts_the_standards_tagged_when_identifying_investigating_and_selecting(cast):
    """The coach's coverage counts every tag the coach gave, the challenge's first three steps' too (dated by
    its opening): identify → 1B by default in the seeds."""
    from dashboard import selectors

    [enrollment] = enroll(cast, 1)
    tags = {code: Standard.objects.get(code=code) for code in ("1B", "1C", "2A")}
    challenge = coaching.challenge_start(enrollment=enrollment, problems=["Quiet groups"])
    coaching.challenge_identify(
        challenge=challenge, problems=["Quiet groups"], title="Quiet groups", improvement="discussion",
        category="instructional", standards=[tags["1B"]],
    )  # fmt: skip
    coaching.candidate_add(challenge=challenge, strategy=cast.strategy, source="research")
    coaching.investigation_finish(challenge=challenge, standards=[tags["1C"]])
    coaching.challenge_select_strategy(
        challenge=challenge, strategy=cast.strategy, tools=[cast.tool], standards=[tags["2A"]]
    )
    assert_rollups_are_live()
    today = timezone.localdate()
    coverage = selectors.standards_coverage(
        scoping.coach_figures(cast.alice, CoachStandardMonth), selectors.Period(today, today)
    )
    assert {row.standard.code for row in coverage if row.total} >= {"1B", "1C", "2A"}


def test_a_teacher_a_roster_import_moves_to_another_school_takes_their_coaching_figures_along(cast):
    """A helper's find: the roster import moved teachers without telling the read model, so their months,
    TeacherYear and ITU rows stayed under the old school while the live figures followed the teacher."""
    from dashboard.tests.helpers import full_record
    from districts.tests.test_roster import SCHOOLS, user
    from testing.roster_files import oneroster, run_import

    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    assert SchoolMonth.objects.filter(school_id=cast.school.pk).exists()

    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-1", orgs="sch-2", email=cast.teacher.email)]))

    new_school = Teacher.objects.get(pk=cast.teacher.pk).school
    assert done.counts["teachers_updated"] == 1 and new_school.name == "Roosevelt Elementary School"
    assert_rollups_are_live()
    assert not SchoolMonth.objects.filter(school_id=cast.school.pk).exists()
    assert set(EnrollmentMonth.objects.values_list("school_id", flat=True)) == {new_school.pk}


def test_the_demo_districts_rollups_equal_a_rebuild(db):
    """The demo writes through the services (and tells the read model when it backdates a challenge): its
    rollups are the ones a rebuild from the raw rows gives."""
    call_command("demo")

    def stored_rollups() -> tuple:
        return (
            stored_enrollment_months(), stored_itu(), stored_coach(), stored_level_two(), stored_program_teachers(),
            stored_challenge_counts(),
        )  # fmt: skip

    stored = stored_rollups()
    services.rollup_rebuild()
    assert stored == stored_rollups()


def test_the_school_pages_cursor_reads_give_what_the_orm_reads_give(cast):
    """`school_month_sums` and `school_itu_figures` read a school's level-2 rows with a cursor and add them up in
    Python; they must give exactly `month_sums` and `itu_figures` over the same rows."""
    for n, enrollment in enumerate(enroll(cast, 6, status=Status.REFLECT)):
        scores = {indicator: (1 + n % 3, 2) for indicator in ITUIndicator.values}
        coaching.itu_rate(enrollment=enrollment, phase="baseline", rated_on=day(-30), scores=scores)
        later = {indicator: (3, 2 + n % 3) for indicator in ITUIndicator.values}
        coaching.itu_rate(enrollment=enrollment, phase="end", rated_on=day(-2), scores=later)
    levels = selectors.Levels([cast.program])
    period = selectors.program_period([cast.program], timezone.localdate())
    assert levels.two is not None

    months = selectors.school_month_sums(levels, cast.school, period)
    assert months and months == selectors.month_sums(levels.month_rows(cast.school), period)
    itu = selectors.school_itu_figures(levels, cast.school, k=3, group=7)
    assert itu[1].rated.value == 6
    assert itu == selectors.itu_figures(levels.itu_rows(cast.school), k=3, group=7)


def test_every_way_off_a_caseload_changes_who_the_schools_page_counts(cast):
    """ProgramTeacher (the schools page's participation) follows the enrollments however they end: the admin's end
    and move (the property test above), a roster that says the teacher has gone, and a coach's account switched
    off; the live figures say who is still on a caseload."""
    from districts.tests.test_roster import SCHOOLS
    from testing.roster_files import oneroster, run_import, user

    cast.district.suppression_k = 1
    world = World(cast)  # alice's two teachers and maria, bob's two

    def on_caseload() -> int:
        [figures] = selectors.school_figures(cast.district, [cast.school], programs=[cast.program])
        return figures.enrolled.value

    assert on_caseload() == 5
    leaver = world.enrollments[2].teacher  # one of bob's
    Teacher.objects.filter(pk=leaver.pk).update(sourced_id="t-2")
    run_import(cast.district, oneroster(SCHOOLS, [user("t-2", status="tobedeleted")]))
    assert_rollups_are_live()
    assert on_caseload() == 4

    account_services.member_set_active(actor=cast.dana, membership=cast.alice.membership, active=False)
    assert_rollups_are_live()
    assert on_caseload() == 1
