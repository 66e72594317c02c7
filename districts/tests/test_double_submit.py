"""Every create form of the district admin and the principal is safe to send twice: a double tap saves once, and
both taps land where the first did, with no error (as the coach's, coaching/tests/test_double_submit.py). Two
threads post the same render of the form at the same moment, each on its own PostgreSQL connection."""

import uuid

import pytest
from django.urls import reverse

from coaching.models import Enrollment, Goal, Program, Strategy, Tool
from config.forms import ALREADY_SAVED
from testing import factories as f
from testing.fixtures import form_on, post_twice_at_once

pytestmark = pytest.mark.django_db(transaction=True)

GOALS = reverse("district:goals")


def program(cast, client):
    data = {"name": "Spring pilot", "starts_on": "2027-01-10", "ends_on": "2027-06-01"}
    posted = form_on(client, reverse("district:program_new"), **data, schools=cast.school.pk, coaches=cast.alice.pk)
    return posted, Program.objects.filter(name="Spring pilot"), reverse("district:programs")


def strategy(cast, client):
    posted = form_on(client, reverse("district:strategy_new"), title="Think-pair-share", description="Pairs first.")
    return posted, Strategy.objects.filter(title="Think-pair-share"), reverse("district:library")


def tool(cast, client):
    posted = form_on(client, reverse("district:tool_new"), name="Padlet")
    return posted, Tool.objects.filter(name="Padlet"), reverse("district:library")


def district_goal(cast, client):
    posted = form_on(client, GOALS, where=lambda data: "district-title" in data, **{"district-title": "Raise ITU"})
    return posted, Goal.objects.filter(title="Raise ITU"), GOALS


def school_goal(cast, client):
    posted = form_on(client, GOALS, where=lambda data: "school" in data, school=cast.school.pk, title="Writing +10")
    return posted, Goal.objects.filter(title="Writing +10"), GOALS


def assignment(cast, client):
    teacher = f.TeacherFactory(school=cast.school)
    url = reverse("district:caseloads") + f"?program={cast.program.pk}"
    posted = form_on(client, url, where=lambda data: "coach" in data, teachers=teacher.pk, coach=cast.bob.pk)
    return posted, Enrollment.objects.filter(teacher=teacher, ends_on=None), url


def move(cast, client):
    posted = form_on(client, reverse("district:enrollment_move", args=[cast.enrollment.pk]), coach=cast.bob.pk)
    back = reverse("district:coach_caseload", args=[cast.program.pk, cast.alice.pk])
    return posted, Enrollment.objects.filter(teacher=cast.teacher, ends_on=None), back


CREATE_FORMS = [
    ("dana", program),
    ("dana", strategy),
    ("dana", tool),
    ("dana", district_goal),
    ("dana", school_goal),
    ("paula", school_goal),
    ("dana", assignment),
    ("dana", move),
]


@pytest.mark.parametrize(("who", "create"), CREATE_FORMS, ids=[f"{who}-{c.__name__}" for who, c in CREATE_FORMS])
def test_it_saves_a_double_tap_once_and_lands_both_taps_where_the_first_did(client, cast, who, create):
    client.force_login(getattr(cast, who))
    (url, data), rows, landing = create(cast, client)

    first, second = post_twice_at_once(client, url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert rows.count() == 1
    assert first["Location"] == second["Location"] == landing


@pytest.mark.parametrize("create", [school_goal, assignment, move])
def test_it_says_a_second_send_was_already_saved(client, cast, create):
    """Back to back: the first answer never reached the browser, and Save is pressed again."""
    client.force_login(cast.dana)
    (url, data), rows, landing = create(cast, client)
    client.post(url, data)

    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(landing, 302)]
    assert ALREADY_SAVED in response.content.decode()
    assert rows.count() == 1


def test_it_ends_coaching_once_when_end_is_sent_twice_at_the_same_moment(client, cast):
    """The second waits for the first (the enrollment's row is locked) and is told the teacher already left."""
    client.force_login(cast.dana)
    url, data = form_on(client, reverse("district:enrollment_end", args=[cast.enrollment.pk]))

    responses = sorted(post_twice_at_once(client, url, data), key=lambda response: response.status_code)

    assert [response.status_code for response in responses] == [200, 302]
    assert "Maria Rivera already left this caseload on" in responses[0].content.decode()
    assert Enrollment.objects.get(pk=cast.enrollment.pk).ends_on is not None


TWO_TABS = [(district_goal, "is already a goal."), (school_goal, "is already a goal."),
            (assignment, "Already on a caseload in this program: ")]  # fmt: skip


@pytest.mark.parametrize(("create", "refusal"), TWO_TABS, ids=[create.__name__ for create, _ in TWO_TABS])
def test_it_saves_once_what_two_tabs_send_at_the_same_moment(client, cast, create, refusal):
    """Two renders of the form (two keys): the second is refused in words when the first has committed before its
    check, else the database's constraint settles it and it lands where the first did, told it was saved."""
    client.force_login(cast.dana)
    (url, data), rows, landing = create(cast, client)
    key = next(name for name in data if name.endswith("submission_key"))

    responses = post_twice_at_once(client, url, data, {**data, key: [str(uuid.uuid4())]})

    assert rows.count() == 1
    for response in responses:
        assert (response.status_code, response.get("Location")) == (302, landing) or (
            response.status_code == 200 and refusal in response.content.decode()
        )
    assert 302 in [response.status_code for response in responses]
