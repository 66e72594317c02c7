"""Every create form of the coach is safe to send twice: a double tap saves once, and both taps land where the
first did, with no error. Two threads post at the same moment, each on its own PostgreSQL connection."""

import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.test_permission_matrix import MATRIX, OK
from coaching.models import (
    Activity,
    Challenge,
    Cycle,
    ImpactStory,
    ITURating,
    Reflection,
    Step,
    StrategyCandidate,
    Tool,
)
from config.forms import ALREADY_SAVED
from testing.factories import challenge_at
from testing.fixtures import SUBMISSION_KEY, form_on, post_twice_at_once

pytestmark = pytest.mark.django_db(transaction=True)
Status = Challenge.Status


def teacher_page(cast) -> str:
    return reverse("coaching:teacher", kwargs={"teacher_id": cast.teacher.pk})


def step(cast, client):
    challenge = challenge_at(cast, Status.IMPLEMENT)
    page = reverse("coaching:step_new", kwargs={"challenge_id": challenge.pk, "kind": "plan_meeting"})
    return form_on(client, page), Step.objects.filter(kind=Step.Kind.PLAN_MEETING), teacher_page(cast)


def cycle(cast, client):
    challenge = challenge_at(cast, Status.REFLECT)  # cycle 1 complete: the teacher page offers "Start cycle 2"
    action = reverse("coaching:cycle_new", kwargs={"challenge_id": challenge.pk})
    return form_on(client, teacher_page(cast), action=action), Cycle.objects.filter(number=2), teacher_page(cast)


def touchpoint(cast, client):
    page = reverse("coaching:activity_new", kwargs={"kind": "touchpoint"}) + f"?teacher={cast.teacher.pk}"
    posted = form_on(client, page, notes="Asked about the lab groups in the hallway")
    return posted, Activity.objects.filter(kind=Activity.Kind.TOUCHPOINT), reverse("coaching:activities")


def activity(cast, client):
    page = reverse("coaching:activity_new", kwargs={"kind": "pln"})
    return form_on(client, page), Activity.objects.filter(kind=Activity.Kind.PLN), reverse("coaching:activities")


def story(cast, client):
    posted = form_on(client, reverse("coaching:story_new"), title="Lab reports", story="They argue from data now.")
    return posted, ImpactStory.objects.all(), reverse("coaching:stories")


def challenge(cast, client):
    page = reverse("coaching:challenge_new", kwargs={"teacher_id": cast.teacher.pk})
    landing = lambda: reverse("coaching:identify", kwargs={"challenge_id": Challenge.objects.get().pk})  # noqa: E731
    return form_on(client, page, problems="Students rush their lab reports"), Challenge.objects.all(), landing


def itu_rating(cast, client):
    page = reverse("coaching:itu_rate", kwargs={"teacher_id": cast.teacher.pk})
    return form_on(client, page), ITURating.objects.all(), teacher_page(cast)


def reflection(cast, client):
    page = reverse("coaching:reflect", kwargs={"challenge_id": challenge_at(cast, Status.REFLECT).pk})
    return form_on(client, page, decision="resolved"), Reflection.objects.all(), teacher_page(cast)


def candidate(cast, client):
    challenge = challenge_at(cast, Status.INVESTIGATE)
    page = reverse("coaching:investigate", kwargs={"challenge_id": challenge.pk})
    posted = form_on(client, page, where=lambda data: data.get("strategy") == [str(cast.strategy.pk)])
    return posted, StrategyCandidate.objects.all(), page


CREATE_FORMS = [step, cycle, touchpoint, activity, story, challenge, itu_rating, reflection, candidate]


@pytest.mark.parametrize("create", CREATE_FORMS, ids=[create.__name__ for create in CREATE_FORMS])
def test_it_saves_a_double_tap_once_and_lands_both_taps_where_the_first_did(client, cast, create):
    client.force_login(cast.alice)
    (url, data), rows, landing = create(cast, client)
    before = rows.count()

    first, second = post_twice_at_once(client, url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert rows.count() == before + 1
    landing = landing() if callable(landing) else landing
    assert first["Location"] == second["Location"] == landing


def test_it_says_a_second_send_was_already_saved(client, cast):
    """Back to back: the first answer never reached the phone, and the coach taps Save again."""
    client.force_login(cast.alice)
    (url, data), rows, landing = touchpoint(cast, client)
    client.post(url, data)

    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(landing, 302)]
    assert ALREADY_SAVED in response.content.decode()
    assert rows.count() == 1


KEYED_IN_URL = [step, touchpoint, activity, story, challenge]


@pytest.mark.parametrize("create", KEYED_IN_URL, ids=[create.__name__ for create in KEYED_IN_URL])
def test_it_saves_once_when_back_brings_the_form_again_after_a_save(client, cast, create):
    """Save, Back, Save: every page is no-store, so Back fetches the form again, and its key (in the page's URL) is
    the first render's: the second Save lands where the first did, with nothing saved twice."""
    client.force_login(cast.alice)
    (url, data), rows, landing = create(cast, client)
    before = rows.count()
    first = client.post(url, data)

    back = client.get(url)
    key = SUBMISSION_KEY.search(back.content.decode()).group(1)
    second = client.post(url, {**data, "submission_key": [key]}, follow=True)

    assert back.status_code == 200 and [key] == data["submission_key"]
    assert rows.count() == before + 1
    landing = landing() if callable(landing) else landing
    assert first["Location"] == landing and second.redirect_chain == [(landing, 302)]
    assert ALREADY_SAVED in second.content.decode()


@pytest.mark.parametrize("create", [step, cycle, challenge], ids=["step", "cycle", "challenge"])
def test_it_settles_two_forms_racing_for_one_thing_in_the_database(client, cast, create):
    """Two tabs (two renders, two keys) saving the one step of a kind, the next cycle, the open challenge: the
    unique constraint lets one in, and the other lands on the teacher's page with no error."""
    client.force_login(cast.alice)
    (url, data), rows, _ = create(cast, client)
    other_tab = {**data, "submission_key": [str(uuid.uuid4())]}

    responses = post_twice_at_once(client, url, data, other_tab)

    # The one that lost the race lands on the teacher's page ("already saved"); one that came second
    # outright is told why on the form (the cycle already has its planning meeting, …): never an error page.
    assert sorted(response.status_code for response in responses) in ([200, 302], [302, 302])
    assert rows.count() == 1


def test_it_saves_a_refused_form_once_it_is_corrected_with_the_same_key(client, cast):
    """A refusal claims nothing: the page comes back with the reason and the same key, and the fix saves."""
    client.force_login(cast.alice)
    (url, data), rows, landing = challenge(cast, client)

    refused = client.post(url, {**data, "problems": "Lab reports are rushed\nLab reports are rushed"})
    saved = client.post(url, data)

    assert refused.status_code == 200 and "Each problem of practice should appear once." in refused.content.decode()
    assert saved.status_code == 302 and saved["Location"] == landing()
    assert rows.count() == 1


# --- every create page: its key survives Back ----------------------------------------------------------------------

CREATE_PAGES = sorted(name for name, (_, method, _) in MATRIX.items() if name.endswith("_new") and method == "get")


def _keys_opened_and_back(client, cast, name) -> tuple:
    """The tester's steps on a create page: open it (following its redirect to a keyed URL), then Back (the page
    fetched again): the submission key each render carries."""
    world = SimpleNamespace(**vars(cast), now=timezone.now())  # as the permission matrix builds its URLs
    rule, _, kwargs = MATRIX[name]
    actor = next(actor for actor in ("alice", "dana", "paula") if getattr(rule, actor) == OK)
    client.force_login(getattr(world, actor))
    opened = client.get(reverse(name.split("#")[0], kwargs=kwargs(world) if kwargs else None), follow=True)
    at = opened.redirect_chain[-1][0] if opened.redirect_chain else opened.request["PATH_INFO"]
    back = client.get(at)
    keys = (SUBMISSION_KEY.search(page.content.decode()) for page in (opened, back))
    return tuple(key and key.group(1) for key in keys)  # None: the page's form carries no key


@pytest.mark.parametrize("name", CREATE_PAGES)
def test_every_create_page_keeps_its_key_when_back_fetches_it_again(client, cast, name):
    """Save, Back (the page fetched again), Save: the same key both times, so the second Save lands on the first."""
    opened, back = _keys_opened_and_back(client, cast, name)
    assert opened is not None and back == opened


def test_it_saves_a_library_tool_once_through_save_back_save(client, cast):
    """The district admin's create pages keep their key in their URL too: a tool saved, Back, Save is one tool."""
    client.force_login(cast.dana)
    url, data = form_on(client, reverse("district:tool_new"), name="Padlet", url="https://padlet.com")
    first = client.post(url, data)
    second = client.post(url, form_on(client, url, name="Padlet", url="https://padlet.com")[1], follow=True)

    assert first["Location"] == reverse("district:library")
    assert second.redirect_chain == [(reverse("district:library"), 302)] and ALREADY_SAVED in second.content.decode()
    assert Tool.objects.filter(name="Padlet").count() == 1
