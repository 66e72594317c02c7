"""Leaders' aggregates: suppressed below k teachers, numbers only, in a fixed number of queries."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from accounts import scoping
from accounts.models import Role
from coaching import selectors as coaching_selectors
from coaching import services
from coaching.models import Activity, Challenge, ChallengeCategory, Enrollment, Goal, ITUIndicator, Program, Step
from config import rollups
from dashboard import selectors
from dashboard.models import EnrollmentITU
from dashboard.selectors import Figure, count, suppress
from dashboard.tests.helpers import Status, enroll, story
from standards.models import Standard
from testing import factories as f
from testing.factories import challenge_at, log

pytestmark = pytest.mark.django_db


def lincoln(cast) -> selectors.SchoolFigures:
    return selectors.school_figures(cast.district, [cast.school])[0]


# --- the suppression helper -------------------------------------------------------------------------


def test_it_suppresses_a_figure_over_fewer_than_k_teachers():
    assert str(suppress(120, teachers=4, k=5)) == "fewer than 5"
    assert suppress(120, teachers=4, k=5).suppressed
    assert str(suppress(120, teachers=5, k=5)) == "120"
    assert str(suppress(1240, teachers=9, k=5)) == "1,240"


def test_it_shows_zero_and_counts_teachers_as_their_own_group():
    assert str(suppress(0, teachers=0, k=5)) == "0"
    assert str(count(1, k=5)) == "fewer than 5"
    assert str(count(4, k=5)) == "fewer than 5"
    assert str(count(5, k=5)) == "5"
    assert count(3, k=3) == Figure(3, 3)


# --- a school's figures -------------------------------------------------------------------------------


def test_it_hides_every_teacher_figure_of_a_school_with_k_minus_1_teachers(cast):
    challenge_at(cast, Status.REFLECT)  # Maria: one full cycle, done three days ago
    enroll(cast, 3, status=Status.REFLECT)

    figures = lincoln(cast)

    for figure in (figures.enrolled, figures.active, figures.contacted, figures.coaching_minutes):
        assert str(figure) == "fewer than 5"
    assert [str(figure) for _, figure in figures.steps] == ["fewer than 5"] * 3


def test_it_shows_the_numbers_once_the_school_has_k_teachers(cast):
    challenge_at(cast, Status.REFLECT)
    enroll(cast, 4, status=Status.REFLECT)

    figures = lincoln(cast)

    assert [figures.enrolled.value, figures.active.value, figures.contacted.value] == [5, 5, 5]
    assert figures.coaching_minutes.value == 5 * 3 * 30  # three 30-minute steps each
    assert [(label, figure.value) for label, figure in figures.steps] == [
        ("Planning meeting", 5),
        ("Classroom visit", 5),
        ("Debrief meeting", 5),
    ]


def test_it_follows_the_districts_own_k(cast):
    cast.district.suppression_k = 2
    cast.district.save()
    enroll(cast, 1)

    assert str(lincoln(cast).enrolled) == "2"


def test_it_adds_reflections_and_touchpoints_to_coaching_time_and_keeps_school_wide_work_apart(cast):
    cast.district.suppression_k = 1
    cast.district.save()
    challenge = challenge_at(cast, Status.REFLECT)
    services.challenge_reflect(challenge=challenge, decision="resolved", held_on=timezone.localdate(), minutes=40)
    today = timezone.localdate()
    services.activity_log(actor=cast.alice, kind=Activity.Kind.TOUCHPOINT, enrollment=cast.enrollment, minutes=5,
                          channel="hallway", held_on=today)  # fmt: skip
    services.activity_log(actor=cast.alice, kind=Activity.Kind.PLC, school=cast.school, minutes=45, held_on=today)

    figures = lincoln(cast)

    assert figures.coaching_minutes.value == 3 * 30 + 40 + 5
    assert (figures.school_wide_minutes, figures.school_wide_count) == (45, 1)


def test_it_counts_as_active_only_teachers_with_coaching_contact_in_the_last_30_days(cast):
    cast.district.suppression_k = 1
    cast.district.save()
    old = challenge_at(cast, Status.IMPLEMENT)
    f.complete_cycle(old, days=-40)
    scheduled = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, 1)[0])
    f.log(scheduled, "plan_meeting", days=2, done=False)
    recent = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, 1)[0])
    f.log(recent, "plan_meeting", days=-1)

    figures = lincoln(cast)

    assert (figures.enrolled.value, figures.active.value) == (3, 1)


def test_it_counts_only_this_schools_teachers_in_running_programs(cast):
    cast.district.suppression_k = 1
    cast.district.save()
    other_school = f.SchoolFactory(district=cast.district)
    enroll(cast, 2, status=Status.REFLECT, school=other_school)
    past = f.ProgramFactory(
        district=cast.district, starts_on=datetime.date(2024, 8, 1), ends_on=datetime.date(2025, 6, 1)
    )
    f.EnrollmentFactory(program=past, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    elsewhere = f.SchoolFactory(district=cast.oscar.membership.district)
    enroll(cast, 1, coach=cast.oscar, school=elsewhere)

    figures = selectors.school_figures(cast.district, [cast.school, other_school])

    assert [(row.school, row.enrolled.value, row.coaching_minutes.value) for row in figures] == [
        (cast.school, 1, 0),
        (other_school, 2, 2 * 90),
    ]


def test_it_computes_every_schools_figures_in_the_same_number_of_queries(cast, django_assert_num_queries):
    cast.district.suppression_k = 3
    with django_assert_num_queries(5):
        selectors.school_figures(cast.district, [cast.school])
    schools = [cast.school, *(f.SchoolFactory(district=cast.district) for _ in range(3))]
    for school in schools:
        enroll(cast, 3, status=Status.REFLECT, school=school)
        services.activity_log(actor=cast.bob, kind=Activity.Kind.PLC, school=school, minutes=30)
    with django_assert_num_queries(5):
        figures = selectors.school_figures(cast.district, schools)
    assert [row.enrolled.value for row in figures] == [4, 3, 3, 3]


# --- challenges by category ------------------------------------------------------------------------


def test_it_suppresses_each_challenge_cell_by_its_own_teachers(cast):
    enroll(cast, 5, status=Status.REFLECT)
    enroll(cast, 2, status=Status.CLOSED)
    enroll(cast, 1, status=Status.IDENTIFY)

    rows = selectors.challenge_categories(cast.district, cast.school)

    assert [(row.label, str(row.open), str(row.closed)) for row in rows] == [
        (ChallengeCategory.INSTRUCTIONAL.label, "5", "fewer than 5"),
        (ChallengeCategory.PROFESSIONAL_GROWTH.label, "0", "0"),
        ("Not chosen yet (still identifying)", "fewer than 5", "0"),
    ]


def test_it_counts_challenges_but_suppresses_by_teachers(cast):
    """Four teachers with two challenges each are still a group of four."""
    for enrollment in enroll(cast, 4, status=Status.CLOSED):
        challenge_at(cast, Status.CLOSED, enrollment=enrollment)

    closed = selectors.challenge_categories(cast.district, cast.school)[0].closed

    assert str(closed) == "fewer than 5"
    cast.district.suppression_k = 4
    assert selectors.challenge_categories(cast.district, cast.school)[0].closed.value == 8


def test_it_counts_the_challenges_aligned_to_the_schools_goals(cast, django_assert_num_queries):
    """A school's and the district's goals, over the school's challenges in the chosen programs only."""
    cast.district.suppression_k = 2
    own = Goal.objects.create(district=cast.district, school=cast.school, title="Writing")
    district_goal = Goal.objects.create(district=cast.district, title="District-wide")
    Goal.objects.create(district=cast.district, school=f.SchoolFactory(district=cast.district), title="Theirs")
    other_program = f.ProgramFactory(district=cast.district)
    aligned = enroll(cast, 3, status=Status.CLOSED)
    for enrollment in aligned:
        challenge_at(cast, Status.REFLECT, enrollment=enrollment)  # a second challenge of the same teacher
        enrollment.challenges.update(goal=own)
    elsewhere = enroll(cast, 2, status=Status.REFLECT, school=f.SchoolFactory(district=cast.district))
    later = f.EnrollmentFactory(program=other_program, coach=cast.alice, teacher=aligned[0].teacher)
    challenge_at(cast, Status.IDENTIFY, enrollment=later)
    for enrollment in (*elsewhere, later):  # another school's, another program's
        enrollment.challenges.update(goal=district_goal)
    rollups.changed(enrollment_ids=[e.pk for e in (*aligned, *elsewhere, later)])  # aligned by hand: say so
    programs = [cast.program]

    with django_assert_num_queries(2):
        goals = selectors.goal_alignment(cast.district, cast.school, programs, group=6)

    assert sorted((str(row.goal), str(row.challenges)) for row in goals) == [  # no goal of another school
        ("District: District-wide", "0"),
        ("Lincoln Middle School: Writing", "6"),
    ]
    today = timezone.localdate()
    roster = selectors.school_roster(cast.district, cast.school, programs, today=today)
    with django_assert_num_queries(1):
        both = selectors.school_challenges(cast.district, cast.school, programs, roster=roster, goals_group=6)
    assert both == (selectors.challenge_categories(cast.district, cast.school, today=today, group=5), goals)
    assert [(row.label, str(row.open), str(row.closed)) for row in both[0]][0] == (
        ChallengeCategory.INSTRUCTIONAL.label, "3", "3",
    )  # fmt: skip


def test_the_school_page_counts_its_roster_and_challenges_as_the_selectors_do(cast, django_assert_num_queries):
    """`school_roster` and `school_challenges` (the school page's one read of its teachers, enrollments and
    challenges, counted in Python) give what `school_teachers`, `school_figures`, `challenge_categories` and
    `goal_alignment` count in the database, whatever the enrollments' state."""
    cast.district.suppression_k = 2
    today = timezone.localdate()
    other = f.ProgramFactory(district=cast.district, name="Another running program")
    past = f.ProgramFactory(
        district=cast.district, starts_on=datetime.date(2024, 8, 15), ends_on=datetime.date(2025, 6, 1)
    )
    goals = [Goal.objects.create(district=cast.district, school=cast.school, title="Writing"), None]
    goals.append(Goal.objects.create(district=cast.district, title="District-wide"))
    f.TeacherFactory(school=cast.school)  # rostered, never enrolled
    contacts = [today, today - datetime.timedelta(days=10), today - datetime.timedelta(days=20), None]
    for n, enrollment in enumerate(enroll(cast, 12, status=Status.CLOSED)):
        ended = today - datetime.timedelta(days=1) if n % 5 == 4 else None
        Enrollment.objects.filter(pk=enrollment.pk).update(last_contact_on=contacts[n % 4], ends_on=ended)
        rollups.changed(enrollment_ids=[enrollment.pk])  # as the services that log contact or end one do
        enrollment.challenges.update(goal=goals[n % 3])
        if n % 3 == 0:
            challenge_at(cast, Status.IDENTIFY, enrollment=enrollment)  # an open one besides
        if n % 4 == 1:  # also in another running program, and in a past one
            again = f.EnrollmentFactory(program=other, coach=cast.bob, teacher=enrollment.teacher)
            challenge_at(cast, Status.IMPLEMENT, enrollment=again)
            again.challenges.update(goal=goals[2])
            before = f.EnrollmentFactory(program=past, coach=cast.bob, teacher=enrollment.teacher)
            Challenge.objects.create(enrollment=before, category=ChallengeCategory.INSTRUCTIONAL, goal=goals[0])
    for enrollment in enroll(cast, 3, status=Status.REFLECT, school=f.SchoolFactory(district=cast.district)):
        enrollment.challenges.update(goal=goals[2])
    rollups.changed(enrollment_ids=Enrollment.objects.values_list("pk", flat=True))  # goals aligned by hand: say so

    for programs in ([cast.program], [cast.program, other], [other]):
        period = selectors.program_period(programs, today)
        with django_assert_num_queries(1):
            roster = selectors.school_roster(cast.district, cast.school, programs, today=today)
        assert roster.teachers == selectors.school_teachers(cast.district, cast.school, today=today)
        [figures] = selectors.school_figures(cast.district, [cast.school], programs=programs, period=period)
        if programs == [cast.program]:  # every figure has teachers to count
            assert (figures.enrolled.value, figures.active.value, figures.contacted.value, figures.group) == (
                11,
                7,
                4,
                13,
            )
        given = selectors.school_figures(
            cast.district, [cast.school], programs=programs, period=period, participation=roster.participation
        )
        assert given == [figures]
        with django_assert_num_queries(1):
            both = selectors.school_challenges(cast.district, cast.school, programs, roster=roster, goals_group=7)
        categories = selectors.challenge_categories(
            cast.district, cast.school, today=today, group=roster.teachers.enrolled
        )
        assert both == (categories, selectors.goal_alignment(cast.district, cast.school, programs, group=7))
    assert [(row.label, str(row.open), str(row.closed)) for row in both[0]] == [
        (ChallengeCategory.INSTRUCTIONAL.label, "3", "12"),
        (ChallengeCategory.PROFESSIONAL_GROWTH.label, "0", "0"),
        ("Not chosen yet (still identifying)", "4", "0"),
    ]
    assert sorted((str(row.goal), str(row.challenges)) for row in both[1]) == [
        ("District: District-wide", "3"),
        ("Lincoln Middle School: Writing", "0"),  # none of them in the other program
    ]


# --- per-coach progress -------------------------------------------------------------------------------


def coach_rows(cast, **kwargs):
    programs = list(selectors.current_programs(cast.district, timezone.localdate()))
    period = selectors.program_period(programs, timezone.localdate())
    coaches = list(selectors.district_coaches(cast.district))
    rows = selectors.coach_rows(cast.district, coaches, programs=programs, period=period, **kwargs)
    return {row.coach: row for row in rows}


def test_it_counts_a_coachs_standards_at_the_chosen_school_only(cast):
    """With a school chosen, a coach's standards are those of their work with that school's teachers (a coach
    with no teacher there once showed their whole district's coverage)."""
    cast.district.suppression_k = 1
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Step.Kind.PLAN_MEETING, days=-1, standards=list(Standard.objects.filter(code__in=["1A", "2B"])))
    other = f.SchoolFactory(district=cast.district)

    everywhere = coach_rows(cast)[cast.alice].standards.value
    assert everywhere >= 2
    assert coach_rows(cast, school=cast.school)[cast.alice].standards.value == everywhere
    assert coach_rows(cast, school=other)[cast.alice].standards.value == 0


def test_it_counts_a_coachs_standards_over_their_work_in_the_programs_chosen(cast):
    """A coach's standards: the tags of their 1:1 work in the programs chosen and of their school-wide work (which
    belongs to no program); with a school chosen, of their 1:1 work with its teachers in those programs only."""
    cast.district.suppression_k = 1
    pilot = f.ProgramFactory(district=cast.district, name="Pilot program")
    pilot.schools.add(cast.school)
    pilot.coaches.add(cast.alice)
    in_pilot = f.EnrollmentFactory(program=pilot, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    for enrollment, code in ((cast.enrollment, "1A"), (in_pilot, "2A")):
        services.activity_log(
            actor=cast.alice, kind=Activity.Kind.TOUCHPOINT, enrollment=enrollment, channel="email",
            standards=Standard.objects.filter(code=code),
        )  # fmt: skip
    plc = Standard.objects.filter(code="3C")
    services.activity_log(actor=cast.alice, kind=Activity.Kind.PLC, school=cast.school, minutes=45, standards=plc)

    def standards(programs, school=None) -> int:
        period = selectors.program_period(programs, timezone.localdate())
        [row] = selectors.coach_rows(cast.district, [cast.alice], programs=programs, period=period, school=school)
        return row.standards.value

    assert standards([cast.program]) == 2  # 1A with Maria, 3C at the PLC; not 2A, of the pilot
    assert standards([pilot]) == 2  # 2A and 3C
    assert standards([cast.program, pilot]) == 3
    assert standards([cast.program], school=cast.school) == 1  # 1A: the 1:1 work with Lincoln's teachers only


def test_it_lists_the_coaches_of_the_programs_chosen_and_at_the_school_chosen(cast):
    pilot = f.ProgramFactory(district=cast.district, name="Pilot program")
    pilot.coaches.add(cast.bob)
    roosevelt = f.SchoolFactory(district=cast.district)
    enroll(cast, 1, coach=cast.bob, school=roosevelt)  # in cast.program, where Bob is a coach too

    def coaches(**kwargs) -> list:
        return list(selectors.district_coaches(cast.district, **kwargs))

    assert coaches() == [cast.alice, cast.bob]  # the district's, when no program is given
    assert coaches(programs=[pilot]) == [cast.bob]
    assert coaches(programs=[]) == []
    assert coaches(programs=[cast.program, pilot], school=cast.school) == [cast.alice]  # Maria's coach
    assert coaches(programs=[pilot], school=roosevelt) == []  # Bob's teacher there is in the other program
    schools = selectors.program_schools(scoping.schools(cast.dana.membership), [cast.program])
    assert list(schools) == [cast.school, roosevelt]  # Roosevelt: not named by the program, but its teacher is in it
    assert list(selectors.program_schools(scoping.schools(cast.dana.membership), [pilot])) == []


def test_it_counts_each_coachs_caseload_cycles_hours_and_standards(cast):
    cast.district.suppression_k = 1
    challenge_at(cast, Status.REFLECT)  # one cycle: three 30-minute steps, tagged by default? no: untagged
    enroll(cast, 2, status=Status.IDENTIFY)
    enroll(cast, 1, status=Status.CLOSED, coach=cast.bob)

    rows = coach_rows(cast)

    assert set(rows) == {cast.alice, cast.bob}  # coaches of this district only
    alice, bob = rows[cast.alice], rows[cast.bob]
    assert (alice.caseload.value, alice.contacted.value, alice.cycles.value, alice.hours.value) == (3, 1, 1, 1.5)
    # bob's teacher: a cycle (90 minutes) and the resolving reflection (30 minutes)
    assert (bob.caseload.value, bob.cycles.value, bob.hours.value) == (1, 1, 2.0)


def test_it_suppresses_every_figure_of_a_coach_with_fewer_than_k_teachers(cast):
    enroll(cast, 4, status=Status.REFLECT, coach=cast.bob)
    enroll(cast, 5, status=Status.REFLECT)

    rows = coach_rows(cast)

    bob, alice = rows[cast.bob], rows[cast.alice]
    assert bob.caseload.value == 4  # the caseload is shown as it is: the admin assigns it
    assert [str(f) for f in (bob.contacted, bob.cycles, bob.hours, bob.standards)] == ["fewer than 5"] * 4
    assert (alice.caseload.value, alice.cycles.value) == (6, 5)  # maria and five more


# --- who sees which school and which stories ------------------------------------------------------------


def test_it_gives_principals_their_own_schools_and_admins_all(cast):
    other = f.SchoolFactory(district=cast.district)
    paula, dana = cast.paula.membership, cast.dana.membership

    assert list(scoping.schools(paula)) == [cast.school]
    assert set(scoping.schools(dana)) == {cast.school, other}
    # A coach reads the district's roster (schools included); the summaries are for leaders' roles only.
    assert set(scoping.schools(cast.alice.membership)) == {cast.school, other}
    assert scoping.summary_school(dana, other.pk) == other
    with pytest.raises(PermissionDenied):
        scoping.summary_school(paula, other.pk)
    with pytest.raises(Http404):
        scoping.summary_school(paula, f.SchoolFactory().pk)


def test_it_shows_each_audience_only_the_stories_the_teacher_agreed_to(cast):
    both = story(cast.enrollment, "Both", share_with_principal=True, share_with_district=True)
    principal = story(cast.enrollment, "Principal only", share_with_principal=True)
    district = story(cast.enrollment, "District only", share_with_district=True)
    private = story(cast.enrollment, "Private")
    other_school = f.SchoolFactory(district=cast.district)
    elsewhere = story(enroll(cast, 1, school=other_school)[0], "Elsewhere", share_with_principal=True)
    other_principal = f.MembershipFactory(district=cast.district, role=Role.PRINCIPAL, schools=[other_school])

    assert set(selectors.shared_stories(cast.paula.membership)) == {both, principal}
    assert set(selectors.shared_stories(cast.paula.membership, school=cast.school)) == {both, principal}
    assert set(selectors.shared_stories(cast.dana.membership)) == {both, district}
    assert set(selectors.shared_stories(other_principal)) == {elsewhere}
    for coach in (cast.alice, cast.bob, cast.oscar):
        assert not selectors.shared_stories(coach.membership).exists()
    assert set(coaching_selectors.coach_stories(cast.alice)) == {both, principal, district, private, elsewhere}
    assert not coaching_selectors.coach_stories(cast.bob).exists()


def test_it_lists_a_principal_of_two_schools_each_story_and_program_once(cast):
    """A story reaches its school through foreign keys, so its rows are distinct without DISTINCT (which sorted
    every column, the story's text too); a program reaches its schools through a many-to-many, so it keeps it."""
    other_school = f.SchoolFactory(district=cast.district)
    cast.program.schools.add(other_school)
    cast.paula.membership.schools.add(other_school)
    stories = [story(cast.enrollment, "Here", share_with_principal=True)]
    stories.append(story(enroll(cast, 1, school=other_school)[0], "There", share_with_principal=True))

    shared = selectors.shared_stories(cast.paula.membership)
    assert sorted(shared, key=lambda s: s.pk) == stories and "DISTINCT" not in str(shared.query)
    programs = scoping.at_visible_schools(cast.paula.membership, Program)
    assert list(programs) == [cast.program] and "DISTINCT" in str(programs.query)


# --- erasure counts ------------------------------------------------------------------------------------


def test_it_counts_what_erasing_a_teacher_deletes(cast):
    challenge = challenge_at(cast, Status.CLOSED)
    services.activity_log(actor=cast.alice, kind="touchpoint", enrollment=cast.enrollment, channel="email")
    story(cast.enrollment, "A story")
    enroll(cast, 1, status=Status.CLOSED)  # someone else's records are not counted

    counts = selectors.erasure_counts(cast.teacher)

    assert counts == {
        "coaching enrollments": 1,
        "challenges": 1,
        "cycle steps": 3,
        "reflections": challenge.reflections.count(),
        "ITU ratings": 0,
        "ITU scores": 0,
        "informal touchpoints": 1,
        "impact stories": 1,
    }


# --- level 2 of the read model adds up per program ----------------------------------------------------


def test_it_reads_level_two_unless_a_teacher_is_in_two_of_the_chosen_programs(cast):
    cast.district.suppression_k = 1
    second = f.ProgramFactory(district=cast.district)
    second.schools.add(cast.school)
    [first] = enroll(cast, 1, status=Status.REFLECT)
    elsewhere = f.EnrollmentFactory(program=second, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    challenge_at(cast, Status.REFLECT, enrollment=elsewhere)
    programs = [cast.program, second]
    assert selectors.level_two(programs) == [p.pk for p in programs]
    assert selectors.Levels(programs).month_rows().model.__name__ == "SchoolMonth"
    figures = selectors.school_figures(cast.district, [cast.school], programs=programs)[0]
    assert (figures.coaching_minutes.value, figures.steps[1][1].value) == (2 * 90, 2)  # two teachers' visits

    # The first teacher joins the second program too: per-program rows would count them twice.
    also = f.EnrollmentFactory(program=second, coach=cast.alice, teacher=first.teacher)
    challenge_at(cast, Status.REFLECT, enrollment=also)
    assert selectors.level_two(programs) is None
    assert selectors.Levels(programs).month_rows().model.__name__ == "EnrollmentMonth"
    period = selectors.program_period(programs, timezone.localdate())
    months = [row for row in selectors.trend(selectors.Levels(programs).month_rows(), period, k=1) if row.steps.value]
    assert {month.teachers.value for month in months} == {2}  # not 3 (the cycles' days: one month, or two)
    figures = selectors.school_figures(cast.district, [cast.school], programs=programs)[0]
    assert figures.steps[1][1].value == 3  # visits: 2 by the first teacher, 1 by the other
    assert selectors.level_two([second]) == [second.pk]  # one program always adds up


def test_it_reads_a_schools_months_and_itu_once_for_the_same_figures(cast, django_assert_num_queries):
    cast.district.suppression_k = 1
    for n, enrollment in enumerate(enroll(cast, 3, status=Status.REFLECT)):
        for phase, score in (("baseline", 2), ("end", 2 + n % 2)):  # the second teacher rises
            services.itu_rate(
                enrollment=enrollment,
                phase=phase,
                rated_on=timezone.localdate(),
                scores=dict.fromkeys(ITUIndicator.values, (score, score)),
            )
    programs = [cast.program]
    levels, period = selectors.Levels(programs), selectors.program_period(programs, timezone.localdate())
    with django_assert_num_queries(1):
        months = selectors.month_sums(levels.month_rows(cast.school), period)
    with django_assert_num_queries(3):
        given = selectors.school_figures(
            cast.district, [cast.school], programs=programs, period=period, levels=levels, months=months
        )
    assert given == selectors.school_figures(cast.district, [cast.school], programs=programs, period=period)
    assert given[0].steps[1][1].value == 3 and given[0].cycles.value == 3  # counted over the teachers' rows
    for start in (datetime.date(2025, 10, 1), timezone.localdate()):  # over two calendar years; this month
        other = selectors.Period(start, timezone.localdate())
        months_then = selectors.month_sums(levels.month_rows(cast.school), other)
        assert selectors.school_figures(
            cast.district, [cast.school], programs=programs, period=other, levels=levels, months=months_then
        ) == selectors.school_figures(cast.district, [cast.school], programs=programs, period=other)
    assert selectors.trend(months, period, k=1) == selectors.trend(levels.month_rows(cast.school), period, k=1)
    with django_assert_num_queries(1):
        change, headline = selectors.itu_figures(levels.itu_rows(cast.school), k=1)
    level_one = EnrollmentITU.objects.filter(program_id=cast.program.pk, school_id=cast.school.pk)
    assert (change, headline) == selectors.itu_figures(level_one, k=1)
    assert (headline.rated.value, headline.rose.value, change[0].teachers.value) == (3, 1, 3)
    assert change == selectors.itu_change(levels.itu_rows(cast.school), k=1)


def test_it_counts_the_rostered_teachers_and_those_in_running_programs_in_one_query(cast, django_assert_num_queries):
    enroll(cast, 2)
    f.TeacherFactory(school=cast.school)  # on the roster, never enrolled
    past = f.ProgramFactory(
        district=cast.district, starts_on=datetime.date(2024, 8, 1), ends_on=datetime.date(2025, 6, 1)
    )
    f.EnrollmentFactory(program=past, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    with django_assert_num_queries(1):
        teachers = selectors.school_teachers(cast.district, cast.school)
    assert (teachers.rostered, teachers.enrolled) == (cast.school.teachers.count(), 3)


@pytest.mark.parametrize("start", [datetime.date(2025, 10, 1), datetime.date(2026, 8, 1)])
def test_it_counts_a_page_of_schools_teachers_at_level_two_as_level_one_does(cast, start):
    """Level 2 counts a page of schools' teachers from TeacherYear, a row per teacher and year: its rows within one
    year, its distinct teachers over two. Either way the figures are level 1's (EnrollmentMonth). Over two years,
    three teachers of four were coached, one in both years: four rows, which must not lift the k of 4."""
    cast.district.suppression_k = 4
    Program.objects.filter(pk=cast.program.pk).update(starts_on=datetime.date(2025, 8, 15))  # a two-year program
    cast.program.refresh_from_db()
    for n, enrollment in enumerate(enroll(cast, 3, status=Status.IMPLEMENT)):
        challenge = enrollment.challenges.get()
        for kind, days in list(zip(Step.ORDER, (-400, -399, -2), strict=True))[: n + 1]:
            f.log(challenge, kind, days=days)
    programs, period = [cast.program], selectors.Period(start, timezone.localdate())
    level_one = selectors.Levels(programs)
    level_one.two = None
    [two] = selectors.school_figures(cast.district, [cast.school], programs=programs, period=period)
    assert [two] == selectors.school_figures(
        cast.district, [cast.school], programs=programs, period=period, levels=level_one
    )
    assert two.coaching_minutes.suppressed and two.group == 4
