"""Programs, goals, caseloads and the library: the district admin's services, then their pages."""

import collections
import datetime
import re
import types

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from coaching.models import Challenge, Enrollment, Goal, Program, Strategy, Tool
from districts import services
from testing import factories as f
from testing.factories import challenge_at, refused

pytestmark = pytest.mark.django_db

Status = Challenge.Status
TODAY = timezone.localdate


def _admin(cast):
    return cast.dana


@pytest.fixture
def elsewhere(cast):
    """Another district with its own admin, school, program, strategy, tool and goal: all 404 to Riverside."""
    district = cast.oscar.membership.district
    school = f.SchoolFactory(district=district, name="Faraway High")
    admin = cast.olga
    admin.membership.schools.add(school)
    program = f.ProgramFactory(district=district, name="Faraway program")
    program.schools.add(school)
    program.coaches.add(cast.oscar)
    teacher = f.TeacherFactory(school=school)
    return types.SimpleNamespace(
        district=district,
        school=school,
        admin=admin,
        program=program,
        teacher=teacher,
        enrollment=f.EnrollmentFactory(program=program, coach=cast.oscar, teacher=teacher),
        strategy=f.StrategyFactory(district=district),
        tool=f.ToolFactory(district=district),
        goal=Goal.objects.create(district=district, school=school, title="Faraway goal"),
    )


def _program_fields(cast, **overrides):
    fields = {
        "name": "2027–28 coaching",
        "starts_on": datetime.date(2027, 8, 15),
        "ends_on": datetime.date(2028, 6, 1),
        "schools": [cast.school],
        "coaches": [cast.alice],
    }
    return {**fields, **overrides}


def _teachers(cast, count: int, **fields):
    return [f.TeacherFactory(school=cast.school, **fields) for _ in range(count)]


# --- programs and goals --------------------------------------------------------------------------


def test_it_creates_a_program_with_its_schools_and_coaches(cast):
    program = services.program_save(actor=_admin(cast), **_program_fields(cast))
    assert program.district == cast.district
    assert list(program.schools.all()) == [cast.school] and list(program.coaches.all()) == [cast.alice]


def test_it_adds_a_district_goal_for_every_program(cast):
    goal = services.goal_add(actor=_admin(cast), title=" Every student  collaborates weekly ")
    assert (goal.district, goal.school, goal.title) == (cast.district, None, "Every student collaborates weekly")
    with refused("District goals are set by the district admin."):
        services.goal_add(actor=cast.paula, title="Principal's own district goal")


def test_it_refuses_a_program_that_ends_before_it_starts(cast):
    fields = _program_fields(cast, ends_on=datetime.date(2027, 8, 14))
    with refused("The program must end after it starts.", field="ends_on"):
        services.program_save(actor=_admin(cast), **fields)
    assert not Program.objects.filter(name=fields["name"]).exists()


def test_it_refuses_another_districts_school_in_a_program(cast, elsewhere):
    with refused("Choose schools of your district.", field="schools"):
        services.program_save(actor=_admin(cast), **_program_fields(cast, schools=[elsewhere.school]))


@pytest.mark.parametrize("who", ["oscar", "paula"])
def test_it_takes_only_the_districts_active_coaches_into_a_program(cast, who):
    user = getattr(cast, who)
    with refused(f"Not an active coach of this district: {user}.", field="coaches"):
        services.program_save(actor=_admin(cast), **_program_fields(cast, coaches=[cast.alice, user]))


def test_it_refuses_a_deactivated_coach(cast):
    cast.bob.is_active = False
    cast.bob.save()
    with pytest.raises(ValidationError):
        services.program_save(actor=_admin(cast), **_program_fields(cast, coaches=[cast.bob]))


def test_it_allows_overlapping_programs(cast):
    fields = _program_fields(cast, starts_on=cast.program.starts_on, ends_on=cast.program.ends_on)
    assert services.program_save(actor=_admin(cast), **fields).pk


def test_it_keeps_a_coach_with_an_active_caseload_in_the_program(cast):
    fields = _program_fields(cast, name=cast.program.name, coaches=[cast.bob])
    with refused("Move or end the caseloads of Alice in this program before removing them.", field="coaches"):
        services.program_save(actor=_admin(cast), program=cast.program, **fields)
    services.enrollment_end(actor=_admin(cast), enrollment=cast.enrollment)
    services.program_save(actor=_admin(cast), program=cast.program, **fields)
    assert list(cast.program.coaches.all()) == [cast.bob]


def test_it_keeps_a_school_with_teachers_on_caseloads_in_the_program(cast):
    other = f.SchoolFactory(district=cast.district)
    fields = _program_fields(cast, name=cast.program.name, schools=[other], coaches=[cast.alice, cast.bob])
    with refused(f"Teachers of {cast.school} are on caseloads in this program: end those first.", field="schools"):
        services.program_save(actor=_admin(cast), program=cast.program, **fields)


def test_it_removes_a_goal_unless_challenges_align_to_it(cast):
    kept, dropped = (Goal.objects.create(district=cast.district, title=t) for t in ("Kept", "Dropped"))
    challenge = challenge_at(cast, Status.IDENTIFY)
    Challenge.objects.filter(pk=challenge.pk).update(goal=kept)
    services.goal_remove(actor=_admin(cast), goal=dropped)
    assert not Goal.objects.filter(pk=dropped.pk).exists()
    with refused("Challenges are aligned to “Kept”: it stays so their record holds. Rename it instead."):
        services.goal_remove(actor=_admin(cast), goal=kept)
    services.goal_rename(actor=_admin(cast), goal=kept, title="Kept, reworded")
    assert Challenge.objects.get().goal.title == "Kept, reworded"


def test_it_refuses_a_duplicate_goal(cast):
    services.goal_add(actor=_admin(cast), title="Raise ITU")
    with refused("“raise itu” is already a goal.", field="title"):
        services.goal_add(actor=_admin(cast), title="raise  itu")
    school_goal = services.goal_add(actor=_admin(cast), school=cast.school, title="Raise ITU")  # another list
    with refused("“Raise ITU” is already a goal.", field="title"):
        services.goal_rename(
            actor=_admin(cast), goal=services.goal_add(actor=_admin(cast), title="X"), title="Raise ITU"
        )
    assert services.goal_rename(actor=_admin(cast), goal=school_goal, title="raise ITU").title == "raise ITU"


def test_it_lets_a_principal_change_their_own_schools_goals_only(cast):
    goal = services.goal_add(actor=cast.paula, school=cast.school, title="Writing +10")
    assert (goal.school, goal.district) == (cast.school, cast.district)
    other = f.SchoolFactory(district=cast.district)
    with refused("You can change the goals of your own schools only.", field="school"):
        services.goal_add(actor=cast.paula, school=other, title="Reading")
    reading = services.goal_add(actor=_admin(cast), school=other, title="Reading")
    with refused("You can change the goals of your own schools only.", field="school"):
        services.goal_rename(actor=cast.paula, goal=reading, title="Mine")
    services.goal_remove(actor=cast.paula, goal=goal)
    assert list(Goal.objects.values_list("title", flat=True)) == ["Reading"]


# --- caseloads -----------------------------------------------------------------------------------


def test_it_assigns_teachers_to_a_coach(cast):
    teachers = _teachers(cast, 2)
    enrollments = services.caseload_assign(actor=_admin(cast), program=cast.program, coach=cast.bob, teachers=teachers)
    assert {(e.coach, e.teacher, e.starts_on, e.ends_on) for e in enrollments} == {
        (cast.bob, t, TODAY(), None) for t in teachers
    }


def test_it_assigns_all_or_nothing(cast):
    teachers = [*_teachers(cast, 2), cast.teacher]
    message = "Already on a caseload in this program: Maria Rivera. Move them instead."
    with refused(message, field="teachers"):
        services.caseload_assign(actor=_admin(cast), program=cast.program, coach=cast.bob, teachers=teachers)
    assert Enrollment.objects.count() == 1


def test_it_assigns_a_teacher_again_once_their_enrollment_ended(cast):
    services.enrollment_end(actor=_admin(cast), enrollment=cast.enrollment)
    services.caseload_assign(actor=_admin(cast), program=cast.program, coach=cast.bob, teachers=[cast.teacher])
    assert Enrollment.objects.filter(teacher=cast.teacher, ends_on__isnull=True).get().coach == cast.bob


def test_it_assigns_only_to_a_coach_of_the_program(cast):
    program = services.program_save(actor=_admin(cast), **_program_fields(cast, coaches=[cast.bob]))
    with refused(f"Alice is not a coach of {program}: add them to the program first.", field="coach"):
        services.caseload_assign(actor=_admin(cast), program=program, coach=cast.alice, teachers=_teachers(cast, 1))


def test_it_assigns_only_teachers_of_the_programs_schools(cast):
    stranger = f.TeacherFactory(school=f.SchoolFactory(district=cast.district), name="Sam Stranger")
    with refused("Not at a school of this program: Sam Stranger.", field="teachers"):
        services.caseload_assign(actor=_admin(cast), program=cast.program, coach=cast.bob, teachers=[stranger])


def test_it_refuses_assigning_in_a_program_that_ended(cast):
    Program.objects.filter(pk=cast.program.pk).update(ends_on=TODAY() - datetime.timedelta(days=1))
    cast.program.refresh_from_db()
    with pytest.raises(ValidationError, match="choose a current program"):
        services.caseload_assign(actor=_admin(cast), program=cast.program, coach=cast.bob, teachers=_teachers(cast, 1))


def test_it_moves_a_teacher_and_closes_the_old_record_to_everyone(cast, client):
    challenge = challenge_at(cast, Status.IMPLEMENT)
    moved = services.enrollment_move(actor=_admin(cast), enrollment=cast.enrollment, coach=cast.bob)
    cast.enrollment.refresh_from_db()
    assert cast.enrollment.ends_on == TODAY() and (moved.coach, moved.ends_on) == (cast.bob, None)
    assert not moved.challenges.exists()  # the new coach starts fresh
    teacher_url = reverse("coaching:teacher", kwargs={"teacher_id": cast.teacher.pk})
    client.force_login(cast.alice)
    assert client.get(teacher_url).status_code == 404  # access follows an active enrollment
    client.force_login(cast.bob)
    page = client.get(teacher_url).content.decode()
    assert challenge.title not in page and "Start a new challenge" in page


def test_it_refuses_moving_to_the_same_coach_or_ending_twice(cast):
    with refused("Maria Rivera is already on Alice's caseload.", field="coach"):
        services.enrollment_move(actor=_admin(cast), enrollment=cast.enrollment, coach=cast.alice)
    services.enrollment_end(actor=_admin(cast), enrollment=cast.enrollment)
    with pytest.raises(ValidationError, match="already left this caseload"):
        services.enrollment_end(actor=_admin(cast), enrollment=cast.enrollment)


# --- the library ---------------------------------------------------------------------------------

STRATEGY = {
    "title": "Exit tickets",
    "description": "",
    "category": "instructional",
    "itu_indicator": "critical_thinking",
    "subject": "",
    "grade_band": "all",
}


def test_it_curates_a_strategy_with_tools(cast):
    strategy = services.strategy_save(actor=_admin(cast), tools=[cast.tool], **STRATEGY)
    assert (strategy.district, strategy.created_by, list(strategy.tools.all())) == (
        cast.district,
        cast.dana,
        [cast.tool],
    )
    services.strategy_save(actor=_admin(cast), strategy=strategy, tools=[], **{**STRATEGY, "title": "Exit slips"})
    strategy.refresh_from_db()
    assert strategy.title == "Exit slips" and not strategy.tools.exists()


def test_it_refuses_a_duplicate_library_entry(cast):
    with refused("The library already has “google docs”.", field="name"):
        services.tool_save(actor=_admin(cast), name="google docs")
    with refused(f"The library already has “{cast.strategy.title}”.", field="title"):
        services.strategy_save(actor=_admin(cast), **{**STRATEGY, "title": cast.strategy.title})


def test_it_retires_and_restores_library_items(cast):
    for item in (cast.strategy, cast.tool):
        services.library_retire(actor=_admin(cast), item=item)
        assert type(item).objects.get(pk=item.pk).retired_at is not None
        services.library_retire(actor=_admin(cast), item=item, retired=False)
        assert type(item).objects.get(pk=item.pk).retired_at is None


def test_it_offers_a_retired_tool_only_to_a_strategy_that_had_it(cast):
    cast.strategy.tools.add(cast.tool)
    services.library_retire(actor=_admin(cast), item=cast.tool)
    fields = {**STRATEGY, "title": cast.strategy.title}
    services.strategy_save(actor=_admin(cast), strategy=cast.strategy, tools=[cast.tool], **fields)
    with refused("Retired tools cannot be added: Google Docs.", field="tools"):
        services.strategy_save(actor=_admin(cast), tools=[cast.tool], **STRATEGY)


# Each service, handed objects of another district (e) by Riverside's admin (a).
CROSS_DISTRICT = {
    "program_save": lambda c, e, a: services.program_save(actor=a, program=e.program, **_program_fields(c)),
    "remove_goal": lambda c, e, a: services.goal_remove(actor=a, goal=e.goal),
    "rename_goal": lambda c, e, a: services.goal_rename(actor=a, goal=e.goal, title="Ours now"),
    "school_goal": lambda c, e, a: services.goal_add(actor=a, school=e.school, title="x"),
    "assign": lambda c, e, a: services.caseload_assign(actor=a, program=e.program, coach=c.oscar, teachers=[e.teacher]),
    "assign_their_teacher": lambda c, e, a: services.caseload_assign(
        actor=a, program=c.program, coach=c.bob, teachers=[e.teacher]
    ),
    "assign_their_coach": lambda c, e, a: services.caseload_assign(
        actor=a, program=c.program, coach=c.oscar, teachers=_teachers(c, 1)
    ),
    "move": lambda c, e, a: services.enrollment_move(actor=a, enrollment=e.enrollment, coach=c.bob),
    "end": lambda c, e, a: services.enrollment_end(actor=a, enrollment=e.enrollment),
    "strategy": lambda c, e, a: services.strategy_save(actor=a, strategy=e.strategy, **STRATEGY),
    "strategy_tool": lambda c, e, a: services.strategy_save(actor=a, tools=[e.tool], **STRATEGY),
    "tool": lambda c, e, a: services.tool_save(actor=a, tool=e.tool, name="Mine now"),
    "retire": lambda c, e, a: services.library_retire(actor=a, item=e.strategy),
}


@pytest.mark.parametrize("call", CROSS_DISTRICT)
def test_it_refuses_another_districts_objects(cast, elsewhere, call):
    with pytest.raises(ValidationError):
        CROSS_DISTRICT[call](cast, elsewhere, _admin(cast))
    elsewhere.strategy.refresh_from_db()
    elsewhere.enrollment.refresh_from_db()
    assert elsewhere.strategy.retired_at is None and elsewhere.enrollment.ends_on is None
    assert not Enrollment.objects.filter(teacher=elsewhere.teacher).exclude(pk=elsewhere.enrollment.pk).exists()


# --- pages: who may see them ---------------------------------------------------------------------

# (url name, kwargs from (cast, elsewhere-or-own objects), method): district admins only.
ADMIN_PAGES = [
    ("district:program_new", lambda o: {}, "get"),
    ("district:program_edit", lambda o: {"program_id": o["program"].pk}, "get"),
    ("district:caseloads", lambda o: {}, "get"),
    ("district:coach_caseload", lambda o: {"program_id": o["program"].pk, "coach_id": o["coach"].pk}, "get"),
    ("district:enrollment_move", lambda o: {"enrollment_id": o["enrollment"].pk}, "get"),
    ("district:enrollment_end", lambda o: {"enrollment_id": o["enrollment"].pk}, "get"),
    ("district:strategy_new", lambda o: {}, "get"),
    ("district:strategy_edit", lambda o: {"strategy_id": o["strategy"].pk}, "get"),
    ("district:strategy_retire", lambda o: {"strategy_id": o["strategy"].pk}, "post"),
    ("district:strategy_restore", lambda o: {"strategy_id": o["strategy"].pk}, "post"),
    ("district:tool_new", lambda o: {}, "get"),
    ("district:tool_edit", lambda o: {"tool_id": o["tool"].pk}, "get"),
    ("district:tool_retire", lambda o: {"tool_id": o["tool"].pk}, "post"),
    ("district:tool_restore", lambda o: {"tool_id": o["tool"].pk}, "post"),
]


def _own(cast):
    return {
        "program": cast.program,
        "coach": cast.alice,
        "enrollment": cast.enrollment,
        "strategy": cast.strategy,
        "tool": cast.tool,
    }


def _theirs(cast, elsewhere):
    return {
        "program": elsewhere.program,
        "coach": cast.oscar,
        "enrollment": elsewhere.enrollment,
        "strategy": elsewhere.strategy,
        "tool": elsewhere.tool,
    }


@pytest.mark.parametrize(("name", "kwargs", "method"), ADMIN_PAGES, ids=[p[0] for p in ADMIN_PAGES])
def test_it_serves_each_admin_page_to_district_admins_only(client, cast, elsewhere, name, kwargs, method):
    url = reverse(name, kwargs=kwargs(_own(cast)))
    send = getattr(client, method)
    response = send(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for reader in (cast.alice, cast.paula, cast.oscar):
        client.force_login(reader)
        assert send(url).status_code == 403, reader
    # A create page first redirects to itself with a submission key (config.forms.to_keyed_page).
    follow = {"follow": True} if method == "get" else {}
    client.force_login(elsewhere.admin)
    expected = 200 if not kwargs(_own(cast)) and method == "get" else 404
    assert send(url, **follow).status_code == expected
    client.force_login(cast.dana)
    assert send(url, **follow).status_code == (200 if method == "get" else 302)


_ANY = collections.defaultdict(lambda: types.SimpleNamespace(pk=1))
OBJECT_PAGES = [page for page in ADMIN_PAGES if page[1](_ANY)]


@pytest.mark.parametrize(("name", "kwargs", "method"), OBJECT_PAGES, ids=[p[0] for p in OBJECT_PAGES])
def test_it_hides_another_districts_objects_from_an_admin(client, cast, elsewhere, name, kwargs, method):
    client.force_login(cast.dana)
    assert getattr(client, method)(reverse(name, kwargs=kwargs(_theirs(cast, elsewhere)))).status_code == 404


@pytest.mark.parametrize("name", ["district:programs", "district:library"])
def test_it_lets_every_member_read_programs_and_the_library(client, cast, name):
    assert client.get(reverse(name)).status_code == 302
    for user in (cast.alice, cast.paula, cast.dana, cast.oscar):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 200, user


def test_it_shows_readers_no_admin_actions(client, cast):
    client.force_login(cast.alice)
    library = client.get(reverse("district:library")).content.decode()
    programs = client.get(reverse("district:programs")).content.decode()
    assert cast.strategy.title in library and "Retire" not in library and "New strategy" not in library
    assert cast.program.name in programs and "New program" not in programs and "Edit" not in programs


def test_it_shows_another_district_nothing_of_ours(client, cast):
    client.force_login(cast.oscar)
    assert cast.strategy.title not in client.get(reverse("district:library")).content.decode()
    assert cast.program.name not in client.get(reverse("district:programs")).content.decode()


def test_it_shows_a_principal_the_programs_of_their_schools_only(client, cast):
    other = f.ProgramFactory(district=cast.district, name="Roosevelt program")
    other.schools.add(f.SchoolFactory(district=cast.district, name="Roosevelt"))
    client.force_login(cast.paula)
    page = client.get(reverse("district:programs")).content.decode()
    assert cast.program.name in page and "Roosevelt" not in page


def test_it_serves_school_goals_to_leaders_only(client, cast):
    url = reverse("district:goals")
    assert client.get(url).status_code == 302
    client.force_login(cast.alice)
    assert client.get(url).status_code == 403
    for leader in (cast.paula, cast.dana):
        client.force_login(leader)
        assert client.get(url).status_code == 200


def test_it_guards_each_schools_goals(client, cast, elsewhere):
    other = Goal.objects.create(district=cast.district, school=f.SchoolFactory(district=cast.district), title="X")
    own = Goal.objects.create(district=cast.district, school=cast.school, title="Writing")
    district_goal = Goal.objects.create(district=cast.district, title="District-wide")
    client.force_login(cast.paula)

    def remove(goal):
        return client.post(reverse("district:goal_remove", kwargs={"goal_id": goal.pk}))

    assert remove(elsewhere.goal).status_code == 404
    assert remove(other).status_code == 403
    assert remove(district_goal).status_code == 403
    page = client.get(reverse("district:goals")).content.decode()
    assert "Writing" in page and ">X<" not in page
    response = client.post(reverse("district:goals"), {"school": other.school_id, "title": "Sneaky"})
    assert "Select a valid choice" in response.content.decode()
    assert remove(own).status_code == 302
    assert set(Goal.objects.values_list("title", flat=True)) == {"X", "District-wide", "Faraway goal"}


# --- pages: forms ---------------------------------------------------------------------------------


def _program_post(cast, **overrides):
    data = {
        "name": "Spring pilot",
        "starts_on": "2027-01-10",
        "ends_on": "2027-06-01",
        "schools": [cast.school.pk],
        "coaches": [cast.alice.pk],
    }
    return {**data, **overrides}


def test_it_creates_a_program_from_the_form(client, cast):
    client.force_login(cast.dana)
    response = client.post(reverse("district:program_new"), _program_post(cast))
    assert response.status_code == 302
    program = Program.objects.get(name="Spring pilot")
    assert list(program.coaches.all()) == [cast.alice]
    page = client.get(response["Location"]).content.decode()
    assert "Spring pilot" in page


def test_it_rerenders_the_program_form_with_its_errors(client, cast, elsewhere):
    client.force_login(cast.dana)
    data = _program_post(cast, ends_on="2027-01-01", coaches=[cast.oscar.pk], schools=[])
    page = client.post(reverse("district:program_new"), data).content.decode()
    assert "This field is required." in page and "Select a valid choice" in page
    page = client.post(reverse("district:program_new"), _program_post(cast, ends_on="2027-01-01")).content.decode()
    assert "The program must end after it starts." in page
    assert not Program.objects.filter(name="Spring pilot").exists()


def test_it_edits_a_program_whose_form_changes_no_goal(client, cast):
    goal = Goal.objects.create(district=cast.district, title="Old goal")
    client.force_login(cast.dana)
    url = reverse("district:program_edit", kwargs={"program_id": cast.program.pk})
    page = client.get(url).content.decode()
    assert "Old goal" not in page and "goals" not in page.lower().split("<main")[1].split("</form>")[0]
    data = _program_post(cast, name="Renamed", coaches=[cast.alice.pk, cast.bob.pk], remove_goals=[goal.pk])
    assert client.post(url, data).status_code == 302
    cast.program.refresh_from_db()
    assert cast.program.name == "Renamed" and Goal.objects.filter(pk=goal.pk).exists()


def test_it_confirms_a_goal_removal_with_the_programs_and_challenges_that_use_it(client, cast):
    goal = Goal.objects.create(district=cast.district, title="Collaborate weekly")
    challenge = challenge_at(cast, Status.IDENTIFY)
    client.force_login(cast.dana)
    url = reverse("district:goal_remove", kwargs={"goal_id": goal.pk})

    page = client.get(url).content.decode()
    assert f"{cast.program.name} (" in page and "challenges aligned to it: none" in page
    assert "Remove the goal" in page

    Challenge.objects.filter(pk=challenge.pk).update(goal=goal)
    page = client.get(url).content.decode()
    assert "challenges aligned to it: fewer than 5" in page
    assert "Remove the goal" not in page and reverse("district:goal_edit", kwargs={"goal_id": goal.pk}) in page
    response = client.post(url, follow=True)
    assert "Challenges are aligned to this goal, so it stays" in response.content.decode()
    assert Goal.objects.filter(pk=goal.pk).exists()

    Challenge.objects.filter(pk=challenge.pk).update(goal=None)
    response = client.post(url, follow=True)
    assert "Goal “Collaborate weekly” removed." in response.content.decode()
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_it_adds_and_renames_district_goals_on_the_goals_page(client, cast):
    client.force_login(cast.dana)
    response = client.post(reverse("district:goals"), {"district-title": "Raise ITU"}, follow=True)
    assert "District goal added." in response.content.decode()
    goal = Goal.objects.get(school=None)
    url = reverse("district:goal_edit", kwargs={"goal_id": goal.pk})
    response = client.post(url, {"title": "Raise ITU to 60%"}, follow=True)
    assert "Goal renamed “Raise ITU to 60%”." in response.content.decode()
    client.force_login(cast.paula)
    page = client.get(reverse("district:goals")).content.decode()
    assert "Raise ITU to 60%" in page and url not in page and 'name="district-title"' not in page
    assert client.get(url).status_code == 403


def test_it_adds_a_school_goal(client, cast):
    client.force_login(cast.paula)
    response = client.post(reverse("district:goals"), {"school": cast.school.pk, "title": "Writing +10"}, follow=True)
    assert "Goal added to Lincoln Middle School." in response.content.decode()
    assert Goal.objects.get().school == cast.school


def test_it_assigns_from_the_caseloads_page(client, cast):
    teachers = _teachers(cast, 2)
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}&unassigned=on"
    page = client.get(url).content.decode()
    assert teachers[0].name in page and "Maria Rivera" not in page
    response = client.post(url, {"teachers": [t.pk for t in teachers], "coach": cast.bob.pk}, follow=True)
    page = response.content.decode()
    assert "2 teachers assigned to Bob." in page
    assert Enrollment.objects.filter(coach=cast.bob, ends_on__isnull=True).count() == 2


def test_it_says_once_what_is_missing_when_assigning(client, cast):
    """No coach chosen: said once, under the coach's field (a banner once repeated "This field is required.");
    no teacher ticked: said in the banner, which is where the tick boxes have no field of their own."""
    teachers = _teachers(cast, 1)
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"

    page = client.post(url, {"teachers": [teachers[0].pk]}).content.decode()
    assert page.count("Choose the coach to assign the ticked teachers to.") == 1
    assert "This field is required." not in page
    page = client.post(url, {"coach": cast.bob.pk}).content.decode()
    assert page.count("Tick at least one teacher to assign.") == 1
    assert not Enrollment.objects.filter(coach=cast.bob).exists()


def test_it_names_the_teachers_already_on_a_caseload(client, cast):
    other = _teachers(cast, 1)[0]
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"
    response = client.post(url, {"teachers": [other.pk, cast.teacher.pk], "coach": cast.bob.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Already on a caseload in this program: Maria Rivera. Move them instead." in page
    assert f'value="{other.pk}" id="teacher-{other.pk}" checked' in page  # the ticks survive the refusal
    assert Enrollment.objects.count() == 1


def test_it_counts_each_coachs_active_caseload_in_the_program_and_in_all(client, cast):
    other = f.ProgramFactory(district=cast.district)
    for teacher in _teachers(cast, 16):
        f.EnrollmentFactory(program=other, coach=cast.alice, teacher=teacher)
    ended = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=_teachers(cast, 1)[0])
    ended.ends_on = timezone.localdate()
    ended.save()
    client.force_login(cast.dana)
    page = client.get(reverse("district:caseloads") + f"?program={cast.program.pk}").content.decode()
    alice = page.split("Alice's caseload")[1][:300]
    assert f'<td data-testid="caseload-{cast.alice.pk}">1</td>' in alice  # Maria; the ended one is not counted
    assert '<span class="badge fs-6 text-bg-warning">17 teachers</span>' in alice and "above 16" in alice
    assert f'<td data-testid="caseload-{cast.bob.pk}">0</td>' in page and "0 teachers</span>" in page


def test_it_warns_when_a_caseload_goes_above_sixteen(client, cast):
    for teacher in _teachers(cast, 15):
        f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=teacher)
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"
    page = client.post(url, {"teachers": [_teachers(cast, 1)[0].pk], "coach": cast.alice.pk}, follow=True)
    assert "Alice now coaches 17 teachers: more than 16 is a warning sign" in page.content.decode()
    assert Enrollment.objects.filter(coach=cast.alice).count() == 17


def test_it_moves_and_ends_from_the_coachs_caseload(client, cast):
    second = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=_teachers(cast, 1)[0])
    client.force_login(cast.dana)
    page = client.get(reverse("district:coach_caseload", args=[cast.program.pk, cast.alice.pk])).content.decode()
    assert "Maria Rivera" in page and second.teacher.name in page
    move = reverse("district:enrollment_move", kwargs={"enrollment_id": cast.enrollment.pk})
    assert "The new coach starts fresh" in client.get(move).content.decode()
    assert client.post(move, {"coach": cast.bob.pk}).status_code == 302
    end = reverse("district:enrollment_end", kwargs={"enrollment_id": second.pk})
    assert "from today no one can open it in Cadence, Alice included" in client.get(end).content.decode()
    assert second.ends_on is None  # a GET only asks
    assert client.post(end).status_code == 302
    assert list(Enrollment.objects.filter(ends_on__isnull=True).values_list("coach__email", flat=True)) == [
        "bob@example.org"
    ]
    page = client.post(end).content.decode()  # ending twice re-renders the page with the reason
    assert "already left this caseload" in page
    page = client.get(move).content.decode()  # the move page of the enrollment moved (another tab): where she went
    bobs = reverse("district:coach_caseload", args=[cast.program.pk, cast.bob.pk])
    assert "Maria Rivera already left this caseload on" in page and "Maria Rivera is now on Bob's caseload." in page
    assert f'<a class="btn btn-primary me-2" href="{bobs}">Open Bob\'s caseload</a>' in page


def test_the_move_and_end_pages_of_an_ended_enrollment_say_so_before_anything_is_filled_in(client, cast):
    """Not a form that refuses only once submitted: the reason, and the way back to the caseload."""
    Enrollment.objects.filter(pk=cast.enrollment.pk).update(ends_on=datetime.date(2026, 11, 2))
    client.force_login(cast.dana)
    back = reverse("district:coach_caseload", args=[cast.program.pk, cast.alice.pk])
    for name in ("district:enrollment_move", "district:enrollment_end"):
        url = reverse(name, kwargs={"enrollment_id": cast.enrollment.pk})
        for page in (client.get(url), client.post(url, {"coach": cast.bob.pk})):
            html = page.content.decode()
            assert page.status_code == 200
            assert "Maria Rivera already left this caseload on 2 November 2026." in html
            assert '<form method="post" novalidate' not in html and f'href="{back}">Back to the caseload</a>' in html
    assert not Enrollment.objects.filter(coach=cast.bob).exists()


def test_it_rerenders_the_library_forms_with_their_errors(client, cast):
    client.force_login(cast.dana)
    page = client.post(reverse("district:tool_new"), {"name": "Google Docs", "url": "not a url"}).content.decode()
    assert "Enter a valid URL." in page
    page = client.post(reverse("district:tool_new"), {"name": "google docs"}).content.decode()
    assert "The library already has “google docs”." in page
    page = client.post(reverse("district:strategy_new"), {"title": "Exit tickets"}).content.decode()
    assert "This field is required." in page
    assert Tool.objects.count() == 1 and Strategy.objects.count() == 1


def test_it_curates_the_library_from_its_pages(client, cast):
    client.force_login(cast.dana)
    data = {**STRATEGY, "tools": [cast.tool.pk]}
    assert client.post(reverse("district:strategy_new"), data).status_code == 302
    strategy = Strategy.objects.get(title="Exit tickets")
    client.post(reverse("district:strategy_retire", kwargs={"strategy_id": strategy.pk}))
    client.post(reverse("district:tool_retire", kwargs={"tool_id": cast.tool.pk}))
    page = client.get(reverse("district:library")).content.decode()
    assert page.count("Restore<span") == 2
    form = client.get(reverse("district:strategy_new")).content.decode()
    assert "Google Docs" not in form  # a retired tool is not offered for a new strategy
    edit = client.get(reverse("district:strategy_edit", kwargs={"strategy_id": strategy.pk})).content.decode()
    assert "Google Docs (retired)" in edit  # but stays on the strategy that has it
    client.post(reverse("district:tool_restore", kwargs={"tool_id": cast.tool.pk}))
    assert Tool.objects.get().retired_at is None


def test_it_keeps_showing_a_retired_strategy_and_tool_on_a_challenge(client, cast):
    challenge = challenge_at(cast, Status.IMPLEMENT)
    services.library_retire(actor=_admin(cast), item=cast.strategy)
    services.library_retire(actor=_admin(cast), item=cast.tool)
    client.force_login(cast.alice)
    page = client.get(reverse("coaching:teacher", kwargs={"teacher_id": cast.teacher.pk})).content.decode()
    assert challenge.focus_statement in page
    assert "the teacher will attempt Think-pair-share with a shared doc" in page and "utilize Google Docs" in page


# --- pages: query counts ---------------------------------------------------------------------------


def _grow(cast, n: int) -> None:
    """n more schools, coaches, teachers, enrollments, programs, goals and library entries."""
    for _ in range(n):
        school = f.SchoolFactory(district=cast.district)
        coach = f.UserFactory()
        f.MembershipFactory(user=coach, district=cast.district, role=Role.COACH, schools=[school])
        cast.program.schools.add(school)
        cast.program.coaches.add(coach)
        f.EnrollmentFactory(program=cast.program, coach=coach, teacher=f.TeacherFactory(school=school))
        f.TeacherFactory(school=cast.school)
        program = f.ProgramFactory(district=cast.district)
        program.schools.add(school)
        program.coaches.add(coach)
        Goal.objects.create(district=cast.district, title=f"Goal {school.pk}")
        Goal.objects.create(district=cast.district, school=school, title=f"School goal {school.pk}")
        f.StrategyFactory(district=cast.district).tools.add(f.ToolFactory(district=cast.district))
        f.ToolFactory(district=cast.district, retired_at=timezone.now())
        f.StrategyFactory(district=cast.district, retired_at=timezone.now())


def _goal(cast) -> Goal:
    return Goal.objects.create(district=cast.district, title="Measured goal")


PAGE_QUERIES = [  # (who, url name, kwargs, query string, queries)
    ("dana", "district:programs", lambda c: {}, "", 12),
    ("paula", "district:programs", lambda c: {}, "", 12),
    ("alice", "district:library", lambda c: {}, "", 12),
    ("dana", "district:library", lambda c: {}, "?page=1&grade_band=all", 14),
    ("dana", "district:goals", lambda c: {}, "", 12),
    ("paula", "district:goals", lambda c: {}, "", 12),
    ("dana", "district:goal_remove", lambda c: {"goal_id": _goal(c).pk}, "", 11),
    ("dana", "district:program_edit", lambda c: {"program_id": c.program.pk}, "", 13),
    ("dana", "district:caseloads", lambda c: {}, "", 15),
    ("dana", "district:caseloads", lambda c: {}, "?unassigned=on&q=e&grade_band=middle&subject=sci", 15),
    ("dana", "district:coach_caseload", lambda c: {"program_id": c.program.pk, "coach_id": c.alice.pk}, "", 11),
    ("dana", "district:strategy_edit", lambda c: {"strategy_id": c.strategy.pk}, "", 11),
]


@pytest.mark.parametrize(
    ("who", "name", "kwargs", "query", "queries"), PAGE_QUERIES, ids=[f"{p[0]}-{p[1]}{p[3]}" for p in PAGE_QUERIES]
)
def test_it_serves_each_page_in_constant_queries(client, cast, django_assert_num_queries, who, name, kwargs, query,
                                                 queries):  # fmt: skip
    client.force_login(getattr(cast, who))
    url = reverse(name, kwargs=kwargs(cast)) + query
    _grow(cast, 1)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _grow(cast, 6)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_it_pages_the_coaches_of_a_big_program(client, cast):
    for i in range(30):
        coach = f.UserFactory(full_name=f"Zed Coach {i:02}")
        f.MembershipFactory(user=coach, district=cast.district, role=Role.COACH)
        cast.program.coaches.add(coach)
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"

    first = client.get(url).content.decode()
    second = client.get(url + "&coaches=2").content.decode()

    assert first.count('s caseload">') == 25 and "Coaches page 1 of 2" in first
    assert f'<a href="{reverse("district:coach_caseload", args=[cast.program.pk, cast.bob.pk])}" aria' in first
    assert second.count('s caseload">') == 7  # alice, bob and 30 more: 32
    # Teachers of one school are assigned to that school's coaches only.
    options = client.get(url + f"&school={cast.school.pk}").content.decode()
    assert "Alice" in options and "Zed Coach 00</option>" not in options


def test_it_pages_the_teachers_by_name_each_with_their_coach_in_this_program(client, cast):
    """Any page, filtered or not, lists its teachers in name order with who coaches them in this program now."""
    other = f.ProgramFactory(district=cast.district)
    teachers = [cast.teacher, *_teachers(cast, 60), *_teachers(cast, 3, name="Ann Same")]  # same names: by id
    f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=teachers[5])
    f.EnrollmentFactory(program=other, coach=cast.bob, teacher=teachers[6])  # another program's coach
    ended = f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=teachers[7], ends_on=TODAY())
    by_name = sorted(teachers, key=lambda t: (t.name, t.pk))
    coach = {cast.teacher.pk: "Alice", teachers[5].pk: "Bob"}
    client.force_login(cast.dana)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"

    def rows(query: str) -> list[tuple[int, str]]:
        page = client.get(url + query).content.decode()
        found = re.findall(r'id="teacher-(\d+)".*?<td>([^<]*)</td>\s*</tr>', page, flags=re.S)
        return [(int(pk), name) for pk, name in found]

    def expected(listed) -> list[tuple[int, str]]:
        return [(t.pk, coach.get(t.pk, "Not on a caseload")) for t in listed]

    assert rows("") == expected(by_name[:50])
    assert rows("&page=2") == expected(by_name[50:])
    assert rows("&page=99") == expected(by_name[50:])  # past the last page: the last one
    unassigned = [t for t in by_name if t.pk not in coach]
    assert ended.teacher in unassigned and teachers[6] in unassigned
    assert rows("&unassigned=on&page=2") == expected(unassigned[50:])
    assert rows(f"&unassigned=on&q={teachers[7].name}") == expected([teachers[7]])


def test_it_finds_the_chosen_program_and_school_among_those_listed(client, cast, elsewhere, django_assert_num_queries):
    """The filters' options are read once and the choice is found among them: a value of another district, or no
    number, is refused as a ModelChoiceField refuses it; a number written with spaces is accepted as it was."""
    client.force_login(cast.dana)
    url = reverse("district:caseloads")
    with django_assert_num_queries(16):  # one more than without a school: the school's coaches to assign to
        page = client.get(url + f"?program=+{cast.program.pk}+&school={cast.school.pk}").content.decode()
    assert f'<option value="{cast.school.pk}" selected>' in page and "Maria Rivera" in page
    for program, school in [(elsewhere.program.pk, ""), ("x", ""), (cast.program.pk, elsewhere.school.pk)]:
        page = client.get(url + f"?program={program}&school={school}").content.decode()
        assert "Select a valid choice. That choice is not one of the available choices." in page


def test_it_asks_for_the_school_before_offering_the_coaches_of_a_very_big_program(client, cast):
    """The assign list does not grow with the district: past ASSIGN_CHOICES coaches, a school comes first."""
    from districts import views

    url = reverse("district:caseloads") + f"?program={cast.program.pk}"
    client.force_login(cast.dana)
    assert "<option" in client.get(url).content.decode().split("Assign the ticked teachers to")[1][:4000]
    for i in range(views.ASSIGN_CHOICES):
        coach = f.UserFactory(full_name=f"Zed Coach {i:02}")
        f.MembershipFactory(user=coach, district=cast.district, role=Role.COACH)
        cast.program.coaches.add(coach)
    page = client.get(url).content.decode()
    assert "Assign the ticked teachers to" not in page and "Zed Coach 00</option>" not in page
    assert "To assign teachers, choose their school above" in page
    assert "disabled>" in page  # the teachers' boxes wait for the school
    with_school = client.get(url + f"&school={cast.school.pk}").content.decode()
    assert "Assign the ticked teachers to" in with_school and "Alice" in with_school


def test_it_offers_the_coaches_of_the_teachers_school_when_moving_a_teacher_in_a_very_big_program(client, cast):
    """The move list does not grow with the district either: past ASSIGN_CHOICES coaches, it offers those who
    work at the teacher's school and says how to reach another."""
    from districts import views

    url = reverse("district:enrollment_move", kwargs={"enrollment_id": cast.enrollment.pk})
    client.force_login(cast.dana)
    assert "Zed Coach" not in client.get(url).content.decode()
    for i in range(views.ASSIGN_CHOICES):
        coach = f.UserFactory(full_name=f"Zed Coach {i:02}")
        f.MembershipFactory(user=coach, district=cast.district, role=Role.COACH)
        cast.program.coaches.add(coach)
    at_school = f.UserFactory(full_name="Yara Coach")
    f.MembershipFactory(user=at_school, district=cast.district, role=Role.COACH).schools.add(cast.school)
    cast.program.coaches.add(at_school)

    page = client.get(url).content.decode()
    assert "Yara Coach</option>" in page and "Zed Coach 00</option>" not in page
    assert f"first add {cast.school} to that coach" in page
    refused = client.post(url, {"coach": cast.program.coaches.get(full_name="Zed Coach 00").pk})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
