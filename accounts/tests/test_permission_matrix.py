"""The access table of DESIGN.md, checked for every URL pattern of the project.

Every named URL must have a row in MATRIX, so a URL added without deciding who may open it
fails `test_it_has_a_row_for_every_url`. Each row says how to build the URL from the fixed cast
and which status each actor gets: anonymous → the login page; the owning coach, another coach in
the same school, the school's principal, the district admin, a coach and an admin of another
district. "ok" means 200, or a redirect that is not to the login page (a POST that acted).
"""

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Invitation, Role, RosterImport, token_hash
from coaching.models import Challenge, Goal, ImpactStory
from dashboard.models import DataExport
from testing.factories import challenge_at

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "alice", "bob", "paula", "dana", "oscar", "olga")
LOGIN, OK = "login", "ok"


@dataclass(frozen=True)
class Rule:
    """Expected outcome per actor, in ACTORS order after anonymous."""

    alice: object
    bob: object
    paula: object
    dana: object
    oscar: object
    olga: object
    anonymous: object = LOGIN


PUBLIC = Rule(OK, OK, OK, OK, OK, OK, anonymous=OK)
SIGNED_IN = Rule(OK, OK, OK, OK, OK, OK)
# A teacher's confidential record: its coach only; same-district leaders learn nothing from a 403.
CONFIDENTIAL = Rule(alice=OK, bob=404, paula=403, dana=403, oscar=404, olga=404)
COACHES = Rule(alice=OK, bob=OK, paula=403, dana=403, oscar=OK, olga=403)
ADMINS = Rule(alice=403, bob=403, paula=403, dana=OK, oscar=403, olga=OK)
# An object of Riverside's that only its admins may manage: another district's admin gets a 404.
ADMIN_OBJECT = Rule(alice=403, bob=403, paula=403, dana=OK, oscar=403, olga=404)
LEADERS = Rule(alice=403, bob=403, paula=OK, dana=OK, oscar=403, olga=OK)
# Leaders of the school (its principal, the district admin) manage its goals.
LEADER_OBJECT = Rule(alice=403, bob=403, paula=OK, dana=OK, oscar=403, olga=404)
# A provider's answer without a sign-in started from this browser: back to the sign-in page, saying so.
SSO_CALLBACK = Rule(alice=LOGIN, bob=LOGIN, paula=LOGIN, dana=LOGIN, oscar=LOGIN, olga=LOGIN)
LOGS_OUT = Rule(alice=LOGIN, bob=LOGIN, paula=LOGIN, dana=LOGIN, oscar=LOGIN, olga=LOGIN)


def _challenge(world, status):
    return challenge_at(world, status)


def teacher(w):
    return {"teacher_id": w.teacher.pk}


def challenge(status):
    return lambda w: {"challenge_id": _challenge(w, status).pk}


MATRIX_TOKEN = "matrix-token"


def invitation(w):
    return Invitation.objects.create(
        district=w.district, email="invitee@example.org", role=Role.COACH,
        token_hash=token_hash(MATRIX_TOKEN), expires_at=w.now + datetime.timedelta(days=7),
    )  # fmt: skip


def story(w):
    return {"story_id": ImpactStory.objects.create(coach=w.alice, enrollment=w.enrollment, title="t", story="s").pk}


def export(w):
    return {"export_id": DataExport.objects.create(district=w.district, status="ready", content=b"PK").pk}


def csv_export(w):
    made = DataExport.objects.create(
        district=w.district, requested_by=w.dana, kind="district_csv", status="ready", content=b"Headline\r\n"
    )
    return {"export_id": made.pk}


def roster_import(w):
    done = RosterImport.objects.create(district=w.district, kind="oneroster", filename="r.zip", payload=b"x")
    return {"import_id": done.pk}


def self_assessment(shared: bool):
    def build(w):
        from standards.models import SelfAssessment

        made = SelfAssessment.objects.create(coach=w.alice, assessed_on=w.now.date(), shared_with_district=shared)
        return {"assessment_id": made.pk}

    return build


# A coach's self-assessment: the coach's alone; nobody else learns it exists.
OWN_RECORD = Rule(alice=OK, bob=404, paula=404, dana=404, oscar=404, olga=404)
# ... unless the coach shares it with the district admin.
SHARED_RECORD = Rule(alice=OK, bob=404, paula=404, dana=OK, oscar=404, olga=404)
OWN_RECORD_ACTION = Rule(alice=OK, bob=404, paula=403, dana=403, oscar=404, olga=403)


def program(w):
    return {"program_id": w.program.pk}


def aligned_goal(w):
    goal = Goal.objects.create(district=w.district, school=w.school, title="Writing +10")
    Challenge.objects.filter(pk=_challenge(w, S.IDENTIFY).pk).update(goal=goal)
    return {"goal_id": goal.pk}


def feed_token(w):
    from coaching.services import calendar_feed_renew, feed_token

    return {"token": feed_token(calendar_feed_renew(actor=w.alice))}


def sso_provider(w):
    from districts.models import SignInProvider

    provider = SignInProvider.objects.create(
        district=w.district, kind="google", enabled=True, client_id="id", secret="secret", allowed_domains=["x.org"]
    )
    return {"provider_id": provider.pk}


def district_goal(w):
    return {"goal_id": Goal.objects.create(district=w.district, title="Every student collaborates").pk}


S = Challenge.Status
# Each person's own digest settings: coaches and principals get a digest; district admins do not.
DIGEST_PEOPLE = Rule(alice=OK, bob=OK, paula=OK, dana=403, oscar=OK, olga=403)

# name: (rule, method, kwargs builder)
MATRIX = {
    "healthz": (PUBLIC, "get", None),  # for a load balancer: up/down per dependency, nothing about anyone
    "login": (PUBLIC, "get", None),
    "logout": (LOGS_OUT, "post", None),
    "sso_start": (PUBLIC, "post", sso_provider),  # off to the provider
    "google_callback": (SSO_CALLBACK, "get", None),
    "microsoft_callback": (SSO_CALLBACK, "get", None),
    "openid_connect_callback": (SSO_CALLBACK, "get", lambda w: {"provider_id": "oidc-riverside"}),
    "district:sign_in": (ADMINS, "get", None),
    "district:sign_in_edit": (ADMINS, "get", lambda w: {"kind": "oidc"}),
    "standards:catalog": (SIGNED_IN, "get", None),
    "coaching:home": (SIGNED_IN, "get", None),
    "coaching:caseload": (COACHES, "get", None),
    "coaching:activities": (COACHES, "get", None),
    "coaching:activity_new": (COACHES, "get", lambda w: {"kind": "pln"}),
    "coaching:teacher": (CONFIDENTIAL, "get", teacher),
    "coaching:challenge_new": (CONFIDENTIAL, "get", teacher),
    "coaching:itu_rate": (CONFIDENTIAL, "get", teacher),
    "coaching:identify": (CONFIDENTIAL, "get", challenge(S.IDENTIFY)),
    "coaching:brainstorm": (CONFIDENTIAL, "post", challenge(S.IDENTIFY)),
    "coaching:investigate": (CONFIDENTIAL, "get", challenge(S.INVESTIGATE)),
    "coaching:strategy_new": (CONFIDENTIAL, "get", challenge(S.INVESTIGATE)),
    "coaching:investigation_done": (CONFIDENTIAL, "post", challenge(S.INVESTIGATE)),
    "coaching:select": (CONFIDENTIAL, "get", challenge(S.SELECT)),
    "coaching:back_to_investigate": (CONFIDENTIAL, "post", challenge(S.SELECT)),
    "coaching:step_new": (
        CONFIDENTIAL,
        "get",
        lambda w: {"challenge_id": _challenge(w, S.IMPLEMENT).pk, "kind": "visit"},
    ),
    "coaching:cycle_new": (CONFIDENTIAL, "post", challenge(S.REFLECT)),
    "coaching:reflect": (CONFIDENTIAL, "get", challenge(S.REFLECT)),
    "coaching:step_edit": (
        CONFIDENTIAL,
        "get",
        lambda w: {"step_id": _challenge(w, S.REFLECT).cycles.get().steps.first().pk},
    ),  # fmt: skip
    "coaching:step_cancel": (
        CONFIDENTIAL,
        "get",
        lambda w: {"step_id": _challenge(w, S.REFLECT).cycles.get().steps.first().pk},
    ),  # fmt: skip
    "coaching:calendar": (COACHES, "get", None),
    "coaching:calendar_renew": (COACHES, "post", None),
    "coaching:calendar_revoke": (COACHES, "post", None),
    # The feed needs no sign-in (calendars poll it): its secret token is the key (a wrong one is a 404).
    "coaching:calendar_feed": (PUBLIC, "get", feed_token),
    "dashboard:digest": (DIGEST_PEOPLE, "get", None),
    "accounts:people": (ADMINS, "get", None),
    "accounts:invite": (ADMINS, "get", None),
    "accounts:member_edit": (ADMIN_OBJECT, "get", lambda w: {"membership_id": w.bob.membership.pk}),
    "accounts:member_deactivate": (ADMIN_OBJECT, "post", lambda w: {"membership_id": w.bob.membership.pk}),
    "accounts:invitation_resend": (ADMIN_OBJECT, "post", lambda w: {"invitation_id": invitation(w).pk}),
    "accounts:accept": (PUBLIC, "get", lambda w: {"token": invitation(w) and MATRIX_TOKEN}),
    "accounts:password_reset": (PUBLIC, "get", None),
    "accounts:password_reset_done": (PUBLIC, "get", None),
    "accounts:password_reset_confirm": (PUBLIC, "get", lambda w: {"uidb64": "MQ", "token": "not-a-token"}),
    "accounts:password_reset_complete": (PUBLIC, "get", None),
    "dashboard:school": (LEADERS, "get", None),
    "dashboard:school#one": (LEADER_OBJECT, "get", lambda w: {"school_id": w.school.pk}),
    "dashboard:district": (ADMINS, "get", None),
    "dashboard:district_schools": (ADMINS, "get", None),
    "dashboard:district_coaches": (ADMINS, "get", None),
    "dashboard:district_stories": (ADMINS, "get", None),
    "dashboard:district_csv": (ADMINS, "post", None),  # each admin's own district's CSV, prepared by a job
    "dashboard:coach": (COACHES, "get", None),
    "dashboard:growth": (COACHES, "get", None),
    "dashboard:self_assessment_new": (COACHES, "get", None),
    "dashboard:self_assessment": (OWN_RECORD, "get", self_assessment(shared=False)),
    "dashboard:self_assessment#shared": (SHARED_RECORD, "get", self_assessment(shared=True)),
    "dashboard:self_assessment_share": (OWN_RECORD_ACTION, "post", self_assessment(shared=False)),
    "dashboard:shared_self_assessments": (ADMINS, "get", None),
    "coaching:stories": (COACHES, "get", None),
    "coaching:story_new": (COACHES, "get", None),
    "coaching:story_edit": (CONFIDENTIAL, "get", story),
    "dashboard:data": (ADMINS, "get", None),
    "dashboard:export_new": (ADMINS, "post", None),
    "dashboard:export": (ADMIN_OBJECT, "get", csv_export),
    "dashboard:export#archive": (ADMIN_OBJECT, "get", export),
    "dashboard:export_download": (ADMIN_OBJECT, "get", export),
    "dashboard:export_download#csv": (ADMIN_OBJECT, "get", csv_export),
    "dashboard:erase": (ADMIN_OBJECT, "get", teacher),
    "dashboard:audit": (ADMINS, "get", None),
    "rosters:index": (ADMINS, "get", None),
    "rosters:detail": (ADMIN_OBJECT, "get", roster_import),
    "rosters:progress": (ADMIN_OBJECT, "get", roster_import),
    "rosters:retry": (ADMIN_OBJECT, "post", roster_import),
    "district:programs": (SIGNED_IN, "get", None),
    "district:program_new": (ADMINS, "get", None),
    "district:program_edit": (ADMIN_OBJECT, "get", program),
    "district:goals": (LEADERS, "get", None),
    "district:goal_edit": (LEADER_OBJECT, "get", aligned_goal),
    "district:goal_edit#district": (ADMIN_OBJECT, "get", district_goal),
    "district:goal_remove": (LEADER_OBJECT, "get", aligned_goal),
    "district:goal_remove#post": (LEADER_OBJECT, "post", aligned_goal),
    "district:goal_remove#district": (ADMIN_OBJECT, "get", district_goal),
    "district:caseloads": (ADMINS, "get", None),
    "district:coach_caseload": (ADMIN_OBJECT, "get", lambda w: {**program(w), "coach_id": w.alice.pk}),
    "district:enrollment_move": (ADMIN_OBJECT, "get", lambda w: {"enrollment_id": w.enrollment.pk}),
    "district:enrollment_end": (ADMIN_OBJECT, "get", lambda w: {"enrollment_id": w.enrollment.pk}),
    "district:library": (SIGNED_IN, "get", None),
    "district:strategy_new": (ADMINS, "get", None),
    "district:strategy_edit": (ADMIN_OBJECT, "get", lambda w: {"strategy_id": w.strategy.pk}),
    "district:strategy_retire": (ADMIN_OBJECT, "post", lambda w: {"strategy_id": w.strategy.pk}),
    "district:strategy_restore": (ADMIN_OBJECT, "post", lambda w: {"strategy_id": w.strategy.pk}),
    "district:tool_new": (ADMINS, "get", None),
    "district:tool_edit": (ADMIN_OBJECT, "get", lambda w: {"tool_id": w.tool.pk}),
    "district:tool_retire": (ADMIN_OBJECT, "post", lambda w: {"tool_id": w.tool.pk}),
    "district:tool_restore": (ADMIN_OBJECT, "post", lambda w: {"tool_id": w.tool.pk}),
}


def _url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


ALL_URLS = sorted(set(_url_names(get_resolver().url_patterns)))
ADMIN_URLS = [name for name in ALL_URLS if name.startswith("admin:")]


def test_it_has_a_row_for_every_url():
    rows = {key.split("#")[0] for key in MATRIX}  # "name#variant": another pattern of the same name
    missing = [name for name in ALL_URLS if name not in rows and not name.startswith("admin:")]
    assert missing == [], f"Decide who may open these URLs and add them to MATRIX: {missing}"


@pytest.fixture
def world(cast):
    return SimpleNamespace(**vars(cast), now=timezone.now())


def _outcome(response) -> object:
    if response.status_code == 302 and "/login/" in response["Location"]:
        return LOGIN
    if response.status_code in (200, 302):
        return OK
    return response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_enforces_the_access_table(client, world, name):
    rule, method, kwargs = MATRIX[name]
    url = reverse(name.split("#")[0], kwargs=kwargs(world) if kwargs else None)
    outcomes = {}
    for actor in ACTORS:
        client.logout()
        if actor != "anonymous":
            client.force_login(getattr(world, actor))
        outcomes[actor] = _outcome(getattr(client, method)(url))
    assert outcomes == {actor: getattr(rule, actor) for actor in ACTORS}


@pytest.mark.parametrize("name", ["admin:index", "admin:coaching_teacher_changelist", "admin:accounts_user_changelist"])
def test_it_keeps_the_django_admin_for_superusers_only(client, world, name):
    assert name in ADMIN_URLS
    for actor in ACTORS[1:]:
        user = getattr(world, actor)
        user.is_staff = True  # even staff status is not enough
        user.save()
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 302, actor
