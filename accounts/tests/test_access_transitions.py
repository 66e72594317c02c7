"""Access follows the role, the account and the caseload as they are *now* (issue 7, item 1).

Who may read a teacher's confidential record is decided from the reader's current role (coach), an
active account and an active enrollment of that teacher with them. Every change an admin or the
calendar makes to one of those is walked here, and every confidential URL of the permission matrix
(its CONFIDENTIAL rows, so a URL added there is checked here too) is opened before and after it as
the coach it affects.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts import scoping
from accounts import services as people
from accounts.models import NO_ENROLLMENT, AuditEvent, Reach, Role
from accounts.tests.test_permission_matrix import CONFIDENTIAL, LOGIN, MATRIX, OK, _outcome
from coaching.models import Enrollment, Program
from districts import services as districts
from testing import factories as f

pytestmark = pytest.mark.django_db

CONFIDENTIAL_URLS = sorted(name for name, (rule, _, _) in MATRIX.items() if rule is CONFIDENTIAL)


def test_it_checks_every_confidential_url_of_the_matrix():
    assert len(CONFIDENTIAL_URLS) >= 15
    assert {"coaching:teacher", "coaching:step_edit", "coaching:itu_rate", "coaching:story_edit"} <= set(
        CONFIDENTIAL_URLS
    )


def _urls(cast) -> list[tuple[str, str, str]]:
    """(name, method, url) for each confidential URL, each on a teacher of its own on alice's caseload
    (the URLs need challenges at different steps, and a teacher has one open challenge at a time)."""
    urls = []
    for name in CONFIDENTIAL_URLS:
        _, method, kwargs = MATRIX[name]
        teacher = f.TeacherFactory(school=cast.school)
        enrollment = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=teacher)
        world = SimpleNamespace(**{**vars(cast), "teacher": teacher, "enrollment": enrollment}, now=timezone.now())
        urls.append((name, method, reverse(name.split("#")[0], kwargs=kwargs(world))))
    return urls


def _outcomes(client, user, urls) -> dict[str, object]:
    client.force_login(user)
    return {name: _outcome(getattr(client, method)(url)) for name, method, url in urls}


def _change(cast, role: str, schools: list) -> None:
    """The district admin changes alice's role and schools on the People page's service."""
    people.member_update(actor=cast.dana, membership=cast.alice.membership, role=role, schools=schools)


def _set_active(cast, active: bool) -> None:
    people.member_set_active(actor=cast.dana, membership=cast.alice.membership, active=active)


def to_principal(cast):
    _change(cast, Role.PRINCIPAL, [cast.school])


def to_district_admin(cast):
    _change(cast, Role.DISTRICT_ADMIN, [])


def to_principal_and_back(cast):
    to_principal(cast)
    _change(cast, Role.COACH, [cast.school])


def deactivated(cast):
    _set_active(cast, False)


def deactivated_and_reactivated(cast):
    deactivated(cast)
    _set_active(cast, True)


def enrollments_ended(cast):
    for enrollment in Enrollment.objects.filter(coach=cast.alice):
        districts.enrollment_end(actor=cast.dana, enrollment=enrollment)


def teachers_moved_to_bob(cast):
    for enrollment in Enrollment.objects.filter(coach=cast.alice):
        districts.enrollment_move(actor=cast.dana, enrollment=enrollment, coach=cast.bob)


def program_ended(cast):
    """The calendar, not an admin: the program's last day was yesterday."""
    Program.objects.filter(pk=cast.program.pk).update(ends_on=timezone.localdate() - datetime.timedelta(days=1))


def moved_to_another_school(cast):
    _change(cast, Role.COACH, [f.SchoolFactory(district=cast.district, name="Washington High School")])


def another_school_added(cast):
    """A control: a change that takes nothing away keeps every page open."""
    _change(cast, Role.COACH, [cast.school, f.SchoolFactory(district=cast.district, name="Washington High School")])


# transition: what alice gets on every confidential URL afterwards
TRANSITIONS = {
    to_principal: 403,  # a leader of the district now: she knows the teacher exists, may not read
    to_district_admin: 403,
    to_principal_and_back: 404,  # a coach again, but her enrollments ended with the first change
    deactivated: LOGIN,
    deactivated_and_reactivated: 404,  # reactivation does not hand the caseload back
    enrollments_ended: 404,
    teachers_moved_to_bob: 404,
    program_ended: 404,
    moved_to_another_school: 404,
    another_school_added: OK,
}


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.__name__)
def test_it_decides_confidential_access_from_the_current_role_and_caseload(cast, client, transition):
    urls = _urls(cast)
    assert _outcomes(client, cast.alice, urls) == dict.fromkeys(CONFIDENTIAL_URLS, OK)

    transition(cast)
    cast.alice.refresh_from_db()

    assert _outcomes(client, cast.alice, urls) == dict.fromkeys(CONFIDENTIAL_URLS, TRANSITIONS[transition])


def test_it_gives_a_principal_who_becomes_a_coach_nobody_elses_records(cast, client):
    urls = _urls(cast)
    assert _outcomes(client, cast.paula, urls) == dict.fromkeys(CONFIDENTIAL_URLS, 403)

    people.member_update(actor=cast.dana, membership=cast.paula.membership, role=Role.COACH, schools=[cast.school])

    assert _outcomes(client, cast.paula, urls) == dict.fromkeys(CONFIDENTIAL_URLS, 404)
    assert _outcomes(client, cast.alice, urls) == dict.fromkeys(CONFIDENTIAL_URLS, OK)


def test_it_gives_the_new_coach_of_a_moved_teacher_a_fresh_record_only(cast, client):
    urls = _urls(cast)
    teachers_moved_to_bob(cast)

    outcomes = _outcomes(client, cast.bob, urls)

    # The teacher's pages open on bob's own new enrollment; alice's challenges, steps and story do not.
    assert outcomes == {name: OK if "/teachers/" in url else 404 for name, _, url in urls}
    page = client.get(urls[CONFIDENTIAL_URLS.index("coaching:teacher")][2]).content.decode()
    assert "Start a new challenge" in page


# --- the rule itself, for every confidential model --------------------------------------------------


def _confidential_models():
    return [m for m in apps.get_models() if isinstance(getattr(m, "reach", None), Reach) and m.reach.coach]


def test_it_makes_every_confidential_model_say_which_enrollment_it_belongs_to():
    models = _confidential_models()
    assert {m.__name__ for m in models} >= {"Enrollment", "Challenge", "Cycle", "Step", "ITURating", "Activity"}
    # Each names its path to the caseload entry, or says it belongs to no teacher (NO_ENROLLMENT).
    assert [m.__name__ for m in models if not m.reach.enrollment] == []
    # The coach's own things, about no teacher: the calendar feed, their self-assessments.
    assert {m.__name__ for m in models if m.reach.enrollment == NO_ENROLLMENT} <= {
        "CalendarFeed",
        "CoachSelfAssessment",
    }


@pytest.mark.parametrize("change", [deactivated, to_principal, enrollments_ended, program_ended])
def test_it_returns_no_confidential_row_after_the_change_even_to_a_session_that_outlived_it(cast, change):
    from dashboard.tests.helpers import full_record

    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    f.log(f.challenge_at(cast, "implement"), "plan_meeting", days=2, done=False)  # a calendar event too
    before = {m.__name__: scoping.coach_records(cast.alice, m).count() for m in _confidential_models()}
    records = scoping.CoachRecords(cast.alice)  # a page's: the caseload read once
    assert {m.__name__: records(m).count() for m in _confidential_models()} == before
    assert {name for name, n in before.items() if n} >= {
        "Enrollment", "Challenge", "StrategyCandidate", "Cycle", "Step", "Reflection", "ITURating", "ITUScore",
        "Activity", "ImpactStory", "CalendarEvent",
    }, before  # fmt: skip

    change(cast)
    cast.alice.refresh_from_db()  # the membership and account as a request signed in earlier would load them

    after = {m.__name__: scoping.coach_records(cast.alice, m).count() for m in _confidential_models()}
    assert after == dict.fromkeys(before, 0)
    records = scoping.CoachRecords(cast.alice)
    assert {m.__name__: records(m).count() for m in _confidential_models()} == after


def _figure_models():
    return [m for m in _confidential_models() if m.reach.figures]


@pytest.mark.parametrize(
    "change, kept",
    [(enrollments_ended, True), (teachers_moved_to_bob, True), (program_ended, True), (deactivated, False),
     (to_principal, False)],
    ids=lambda v: getattr(v, "__name__", str(v)),
)  # fmt: skip
def test_a_coach_keeps_the_figures_of_their_own_work_while_they_coach(cast, change, kept):
    """The rollups (sums, never records) of a coach's work stay theirs when a teacher leaves the caseload,
    as the district's per-coach row counts them; an account that no longer coaches gets none."""
    from dashboard.tests.helpers import full_record

    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    assert {m.__name__ for m in _figure_models()} >= {"EnrollmentMonth", "EnrollmentITU", "CoachMonth"}
    before = {m.__name__: scoping.coach_figures(cast.alice, m).count() for m in _figure_models()}
    assert all(before.values()), before
    assert not any(scoping.coach_figures(cast.bob, m).exists() for m in _figure_models())  # another coach's

    change(cast)
    cast.alice.refresh_from_db()

    after = {m.__name__: scoping.coach_figures(cast.alice, m).count() for m in _figure_models()}
    assert after == (before if kept else dict.fromkeys(before, 0))
    assert not any(scoping.coach_figures(cast.bob, m).exists() for m in _figure_models())  # even a new coach's


def test_it_reads_figures_only_from_a_rollup_of_a_coachs_work():
    with pytest.raises(TypeError, match="not a rollup"):
        scoping.coach_figures(None, apps.get_model("coaching", "Step"))


def test_it_keeps_a_coachs_school_wide_activities_when_a_teacher_leaves(cast):
    from coaching import services as coaching

    coaching.activity_log(actor=cast.alice, kind="plc", school=cast.school, minutes=30)
    coaching.activity_log(actor=cast.alice, kind="touchpoint", enrollment=cast.enrollment, channel="email")

    enrollments_ended(cast)

    assert [a.kind for a in scoping.coach_records(cast.alice, apps.get_model("coaching", "Activity"))] == ["plc"]
    assert [a.kind for a in scoping.CoachRecords(cast.alice)(apps.get_model("coaching", "Activity"))] == ["plc"]


# --- what a role change does to the caseload, in the same transaction ---------------------------------


def _active(coach) -> int:
    return Enrollment.objects.filter(coach=coach).active().count()


def test_it_ends_the_caseload_when_the_role_changes_away_from_coach(cast):
    f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    assert _active(cast.alice) == 2

    to_principal(cast)

    assert _active(cast.alice) == 0
    assert set(Enrollment.objects.filter(coach=cast.alice).values_list("ends_on", flat=True)) == {timezone.localdate()}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE)
    assert event.details["enrollments_ended"] == 2


def test_it_ends_only_the_enrollments_at_the_schools_a_coach_leaves(cast):
    washington = f.SchoolFactory(district=cast.district, name="Washington High School")
    _change(cast, Role.COACH, [cast.school, washington])
    there = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=f.TeacherFactory(school=washington))

    _change(cast, Role.COACH, [washington])

    assert list(Enrollment.objects.filter(coach=cast.alice).active()) == [there]


def test_it_ends_the_caseload_on_deactivation_and_does_not_restore_it(cast):
    deactivated(cast)
    assert _active(cast.alice) == 0
    assert AuditEvent.objects.get(action=AuditEvent.Action.DEACTIVATE).details["enrollments_ended"] == 1

    _set_active(cast, True)

    assert _active(cast.alice) == 0


def test_it_ends_nothing_when_a_refused_change_rolls_back(cast):
    with pytest.raises(Exception, match="own district admin role"):
        people.member_update(actor=cast.alice, membership=cast.alice.membership, role=Role.PRINCIPAL, schools=[])
    assert _active(cast.alice) == 1


def test_it_tells_the_admin_what_happens_to_the_caseload_before_saving(cast, client):
    washington = f.SchoolFactory(district=cast.district, name="Washington High School")
    f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=f.TeacherFactory(school=washington))
    f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=f.TeacherFactory(school=washington))
    client.force_login(cast.dana)
    url = reverse("accounts:member_edit", kwargs={"membership_id": cast.alice.membership.pk})

    page = " ".join(client.get(url).content.decode().split())

    assert "Alice coaches 3 teachers now (Lincoln Middle School: 1, Washington High School: 2)." in page
    assert "Changing the role away from coach ends all 3 enrollments today" in page
    assert "It also ends the 3 enrollments on their caseload today" in page

    response = client.post(url, {"role": Role.PRINCIPAL, "schools": [cast.school.pk]}, follow=True)

    assert "3 enrollments ended" in response.content.decode()
    assert _active(cast.alice) == 0


def test_it_says_nothing_about_a_caseload_for_a_coach_without_one(cast, client):
    client.force_login(cast.dana)
    url = reverse("accounts:member_edit", kwargs={"membership_id": cast.bob.membership.pk})
    page = " ".join(client.get(url).content.decode().split())
    assert "Bob has no teachers on a caseload now." in page


@pytest.mark.parametrize("change", [to_principal, deactivated, moved_to_another_school])
def test_it_cancels_the_scheduled_steps_of_the_enrollments_a_change_ends(
    cast, change, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the invitation goes out
        step = f.log(f.challenge_at(cast, "implement"), "plan_meeting", days=2, done=False, invite_teacher=True)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        change(cast)

    [cancel] = mailoutbox
    assert cancel.subject.startswith("Cancelled: Planning meeting with Maria Rivera")
    assert cancel.recipients() == ["alice@example.org", "maria@example.org"]
    step.calendar_event.refresh_from_db()
    assert step.calendar_event.cancelled
