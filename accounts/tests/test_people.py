"""The People page: everyone in the district, pending invitations, roles and deactivation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, Role
from coaching.models import Enrollment
from testing import factories as f

pytestmark = pytest.mark.django_db


def _invite(cast, email, role=Role.COACH, **fields):
    invitation = services.invitation_create(
        actor=cast.dana, district=cast.district, email=email, full_name="", role=role, schools=[cast.school],
        site_url="http://testserver/",
    )  # fmt: skip
    if fields:
        type(invitation).objects.filter(pk=invitation.pk).update(**fields)
    return invitation


def _edit_url(user):
    return reverse("accounts:member_edit", kwargs={"membership_id": user.membership.pk})


def _active_url(user):
    return reverse("accounts:member_deactivate", kwargs={"membership_id": user.membership.pk})


def test_it_lists_the_district_and_its_pending_invitations(cast, client):
    _invite(cast, "fresh@example.org")
    _invite(cast, "stale@example.org", expires_at=timezone.now() - datetime.timedelta(days=1))
    _invite(cast, "done@example.org", accepted_at=timezone.now())
    cast.bob.is_active = False
    cast.bob.save()
    client.force_login(cast.dana)

    response = client.get(reverse("accounts:people"))

    members = response.context["members"]
    assert {m.user.email for m in members} == {
        "alice@example.org",
        "bob@example.org",
        "paula@example.org",
        "dana@example.org",
    }
    assert members[-1].user == cast.bob  # the deactivated come last
    page = response.content.decode()
    assert "oscar@example.org" not in page and "Deactivated" in page
    assert {i.email: i.expired for i in response.context["invitations"]} == {
        "fresh@example.org": False,
        "stale@example.org": True,
    }
    assert page.count(">Expired<") == 1 and page.count(">Resend<") == 2


def test_it_filters_by_role(cast, client):
    _invite(cast, "coach@example.org")
    _invite(cast, "principal@example.org", role=Role.PRINCIPAL)
    client.force_login(cast.dana)

    response = client.get(reverse("accounts:people"), {"role": Role.PRINCIPAL})

    assert [m.user for m in response.context["members"]] == [cast.paula]
    assert [i.email for i in response.context["invitations"]] == ["principal@example.org"]
    assert client.get(reverse("accounts:people"), {"role": "nonsense"}).status_code == 200


def test_it_shows_what_to_do_when_nothing_is_pending(cast, client):
    client.force_login(cast.dana)
    assert "No pending invitations" in client.get(reverse("accounts:people")).content.decode()


def _add_people(cast, count: int):
    for n in range(count):
        user = f.UserFactory()
        f.MembershipFactory(user=user, district=cast.district, role=Role.COACH, schools=[cast.school])
        _invite(cast, f"invitee{n}-{user.pk}@example.org")


def test_it_lists_people_in_constant_queries(cast, client, django_assert_num_queries):
    client.force_login(cast.dana)
    _add_people(cast, 2)
    with django_assert_num_queries(12) as small:
        client.get(reverse("accounts:people"))
    _add_people(cast, 20)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("accounts:people"))
    assert len(response.context["members"]) == 26


@pytest.mark.parametrize("who", ["alice", "paula", "oscar"])
def test_it_shows_the_people_page_to_district_admins_only(cast, client, who):
    assert "/login/" in client.get(reverse("accounts:people"))["Location"]
    client.force_login(getattr(cast, who))
    assert client.get(reverse("accounts:people")).status_code == 403
    assert client.get(_edit_url(cast.alice)).status_code == 403
    assert client.post(_active_url(cast.alice)).status_code == 403
    assert cast.alice.membership.role == Role.COACH


def test_it_hides_another_districts_people_from_its_admin(cast, client):
    client.force_login(cast.olga)

    assert client.get(_edit_url(cast.alice)).status_code == 404
    assert client.post(_edit_url(cast.alice), {"role": Role.DISTRICT_ADMIN}).status_code == 404
    assert client.post(_active_url(cast.alice)).status_code == 404
    cast.alice.refresh_from_db()
    assert cast.alice.is_active and cast.alice.membership.role == Role.COACH
    assert "alice@example.org" not in client.get(reverse("accounts:people")).content.decode()
    assert cast.olga.membership.district.memberships.count() == 2  # oscar and olga, unchanged


def test_it_changes_a_role_and_schools_and_audits_it(cast, client):
    other_school = f.SchoolFactory(district=cast.district, name="Adams Elementary")
    client.force_login(cast.dana)

    response = client.post(_edit_url(cast.alice), {"role": Role.PRINCIPAL, "schools": [other_school.pk]})

    assert response.status_code == 302
    membership = cast.alice.membership
    membership.refresh_from_db()
    assert membership.role == Role.PRINCIPAL and list(membership.schools.all()) == [other_school]
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGE)
    assert event.actor == cast.dana and event.district == cast.district
    assert event.details == {
        "user": cast.alice.pk,
        "before": {"role": "coach", "schools": ["Lincoln Middle School"]},
        "after": {"role": "principal", "schools": ["Adams Elementary"]},
        "enrollments_ended": 1,  # Maria's: a principal coaches no one (test_access_transitions.py)
    }


def test_it_writes_no_audit_line_when_nothing_changed(cast, client):
    client.force_login(cast.dana)
    client.post(_edit_url(cast.alice), {"role": Role.COACH, "schools": [cast.school.pk]})
    assert not AuditEvent.objects.exists()


def test_it_shows_the_current_role_and_schools_in_the_form(cast, client):
    client.force_login(cast.dana)
    form = client.get(_edit_url(cast.paula)).context["form"]
    assert form.initial == {"role": Role.PRINCIPAL, "schools": [cast.school]}


def test_it_refuses_to_let_an_admin_demote_themselves(cast, client):
    client.force_login(cast.dana)

    response = client.post(_edit_url(cast.dana), {"role": Role.COACH, "schools": [cast.school.pk]})

    assert response.status_code == 200
    assert "You can&#x27;t remove your own district admin role" in response.content.decode()
    cast.dana.membership.refresh_from_db()
    assert cast.dana.membership.role == Role.DISTRICT_ADMIN
    assert not AuditEvent.objects.exists()


def test_it_lets_an_admin_demote_another_admin(cast, client):
    second = f.UserFactory()
    f.MembershipFactory(user=second, district=cast.district, role=Role.DISTRICT_ADMIN)
    client.force_login(cast.dana)
    client.post(_edit_url(second), {"role": Role.COACH})
    second.membership.refresh_from_db()
    assert second.membership.role == Role.COACH


def test_it_deactivates_and_keeps_everything_they_logged(cast, client):
    client.force_login(cast.dana)

    response = client.post(_active_url(cast.alice), {"active": "false"}, follow=True)

    assert "is deactivated and can no longer sign in" in response.content.decode()
    cast.alice.refresh_from_db()
    assert not cast.alice.is_active
    assert Enrollment.objects.filter(coach=cast.alice).count() == 1  # ended, not deleted
    event = AuditEvent.objects.get(action=AuditEvent.Action.DEACTIVATE)
    assert event.actor == cast.dana and event.details == {"user": cast.alice.pk, "enrollments_ended": 1}


def test_it_signs_out_a_deactivated_person(cast, client):
    client.force_login(cast.alice)
    services.member_set_active(actor=cast.dana, membership=cast.alice.membership, active=False)
    assert "/login/" in client.get(reverse("coaching:caseload"))["Location"]


def test_it_reactivates(cast, client):
    cast.alice.is_active = False
    cast.alice.save()
    client.force_login(cast.dana)

    client.post(_active_url(cast.alice), {"active": "true"})

    cast.alice.refresh_from_db()
    assert cast.alice.is_active
    assert AuditEvent.objects.get().action == AuditEvent.Action.REACTIVATE


def test_it_refuses_to_let_an_admin_deactivate_themselves(cast, client):
    client.force_login(cast.dana)
    response = client.post(_active_url(cast.dana), {"active": "false"}, follow=True)
    assert "You can&#x27;t deactivate yourself" in response.content.decode()
    cast.dana.refresh_from_db()
    assert cast.dana.is_active


def test_it_accepts_deactivation_by_post_only(cast, client):
    client.force_login(cast.dana)
    assert client.get(_active_url(cast.alice)).status_code == 405
