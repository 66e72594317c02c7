"""Random and hostile input thrown at the main forms: never a 500, and a refused form writes nothing."""

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.models import Challenge, ITUIndicator
from testing.factories import challenge_at

pytestmark = pytest.mark.django_db
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values a person (or an attacker) might type into any field, plausible ones included so that
# some examples get past the form and reach the services' own rules.
VALUE = st.one_of(
    st.sampled_from(["", "0", "-5", "30", "99999", "2026-11-23", "2026-02-30", "10:00", "25:61", "on", "1", "3"]),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "x" * 20_000, "\x00", "é" * 50, "1e309"]),
    st.sampled_from(["observe", "visit", "resolved", "iterate", "move_on", "baseline", "end", "instructional"]),
    st.text(max_size=40),
)


def form_data(fields: list[str]):
    return st.dictionaries(st.sampled_from(fields), VALUE, max_size=len(fields))


def _rows() -> dict[str, int]:
    """How many rows each of our models has: a refused form must leave every count as it was."""
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "coaching", "dashboard")
        for model in apps.get_app_config(app).get_models()
    }


ITU_FIELDS = [f"{i}_{part}" for i in ITUIndicator.values for part in ("frequency", "proficiency")]
# (who posts, the URL to build, the fields of its form)
FORMS = {
    "brainstorm": ("alice", lambda c: reverse("coaching:challenge_new", args=[c.teacher.pk]), ["problems"]),
    "identify": (
        "alice",
        lambda c: reverse("coaching:identify", args=[challenge_at(c, Challenge.Status.IDENTIFY).pk]),
        ["title", "category", "root_cause_notes", "goal", "standards"],
    ),
    "visit": (
        "alice",
        lambda c: reverse("coaching:step_new", args=[challenge_at(c, Challenge.Status.IMPLEMENT).pk, "plan_meeting"]),
        ["done", "date", "time", "minutes", "notes", "next_steps", "standards", "invite_teacher"],
    ),
    "reflect": (
        "alice",
        lambda c: reverse("coaching:reflect", args=[challenge_at(c, Challenge.Status.REFLECT).pk]),
        ["held_on", "minutes", "notes", "decision", "new_strategy", "standards"],
    ),
    "itu": ("alice", lambda c: reverse("coaching:itu_rate", args=[c.teacher.pk]), ["phase", "rated_on", *ITU_FIELDS]),
    "touchpoint": (
        "alice",
        lambda c: reverse("coaching:activity_new", args=["touchpoint"]),
        ["enrollment", "channel", "held_on", "minutes", "notes", "standards"],
    ),
    "story": (
        "alice",
        lambda c: reverse("coaching:story_new"),
        ["enrollment", "title", "story", "told_on", "share_with_principal", "share_with_district"],
    ),
    "invite": ("dana", lambda c: reverse("accounts:invite"), ["email", "full_name", "role", "schools"]),
    "program": (
        "dana",
        lambda c: reverse("district:program_new"),
        ["name", "starts_on", "ends_on", "schools", "coaches", "goals"],
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_it_answers_any_input_without_a_server_error(client, cast, form):
    actor, url_for, fields = FORMS[form]
    client.force_login(getattr(cast, actor))
    url = url_for(cast)

    @EXAMPLES
    @given(data=form_data(fields))
    def post(data):
        before = _rows()
        response = client.post(url, data)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:  # the form came back with its errors
            assert _rows() == before

    post()
