"""Inviting people: the invitation, its e-mailed one-time link, resending it and accepting it."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, Invitation, Role, User, token_hash
from testing import factories as f
from testing.fixtures import form_on, post_twice_at_once

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/account/invitations/([\w-]+)/)")  # the request's address: no SITE_URL
NEW_PASSWORD = "a-long-Cadence-passphrase-42"


@pytest.fixture
def invite(cast, client, django_capture_on_commit_callbacks, mailoutbox):
    """Dana invites someone through the page; returns the invitation and the link path from the e-mail."""

    def invite(email="new.coach@example.org", role=Role.COACH, schools=None, **extra):
        client.force_login(cast.dana)
        data = {"email": email, "full_name": "New Coach", "role": role, **extra}
        data["schools"] = [s.pk for s in (schools if schools is not None else [cast.school])]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:invite"), data)
        assert response.status_code == 302, response.content.decode()
        client.logout()
        return Invitation.objects.get(email__iexact=email), LINK.search(mailoutbox[-1].body).group(1)

    return invite


def _accept(client, path, full_name="Nina New", password=NEW_PASSWORD, password2=None):
    return client.post(path, {"full_name": full_name, "password1": password, "password2": password2 or password})


def test_it_creates_an_invitation_and_emails_a_one_time_link(cast, invite, mailoutbox):
    invitation, path = invite()
    token = path.rstrip("/").rsplit("/", 1)[1]

    assert invitation.district == cast.district and invitation.role == Role.COACH
    assert list(invitation.schools.all()) == [cast.school]
    assert invitation.invited_by == cast.dana and invitation.accepted_at is None
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert len(token) >= 40
    lifetime = invitation.expires_at - timezone.now()
    assert datetime.timedelta(days=6, hours=23) < lifetime <= datetime.timedelta(days=7)
    [message] = mailoutbox
    assert message.to == ["new.coach@example.org"]
    assert "Riverside Unified" in message.subject
    assert "Dana invited you" in message.body and "as a coach" in message.body


def test_it_audits_the_invitation(cast, invite):
    invite(email="Pat.Principal@Example.org", role=Role.PRINCIPAL)

    event = AuditEvent.objects.get(action=AuditEvent.Action.INVITE)
    assert event.district == cast.district and event.actor == cast.dana
    assert event.details == {"email": "pat.principal@example.org", "role": "principal", "schools": [cast.school.pk]}


def test_it_refuses_to_invite_someone_who_already_has_an_account(cast, client):
    client.force_login(cast.dana)
    for email in ("alice@example.org", "OSCAR@example.org"):  # in this district, in another one
        response = client.post(reverse("accounts:invite"), {"email": email, "full_name": "X", "role": Role.COACH})
        assert response.status_code == 200
        assert "already has a Cadence account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_points_to_reactivation_for_a_deactivated_member(cast, client):
    cast.bob.is_active = False
    cast.bob.save()
    client.force_login(cast.dana)
    response = client.post(reverse("accounts:invite"), {"email": "bob@example.org", "full_name": "B", "role": "coach"})
    assert "reactivate them on the People page" in response.content.decode()


def test_it_refuses_a_second_pending_invitation_for_the_same_address(cast, invite, client):
    invite()
    client.force_login(cast.dana)
    response = client.post(
        reverse("accounts:invite"), {"email": "new.coach@example.org", "full_name": "X", "role": Role.COACH}
    )
    assert "already has a pending invitation" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_it_requires_a_school_for_a_principal_and_drops_schools_for_an_admin(cast, client, invite):
    client.force_login(cast.dana)
    response = client.post(
        reverse("accounts:invite"), {"email": "p@example.org", "full_name": "P", "role": "principal"}
    )
    assert "Choose the schools this principal leads." in response.content.decode()

    invitation, _ = invite(email="admin2@example.org", role=Role.DISTRICT_ADMIN)
    assert not invitation.schools.exists()


def test_it_refuses_another_districts_school(cast, client):
    elsewhere = f.SchoolFactory(district=cast.oscar.membership.district)
    client.force_login(cast.dana)
    data = {"email": "c@example.org", "full_name": "C", "role": "coach", "schools": [elsewhere.pk]}
    response = client.post(reverse("accounts:invite"), data)
    assert response.status_code == 200 and not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["alice", "paula"])
def test_it_lets_only_district_admins_invite(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("accounts:invite")).status_code == 403
    client.logout()
    assert "/login/" in client.get(reverse("accounts:invite"))["Location"]


def test_it_shows_the_district_and_role_on_the_accept_page(client, invite):
    _, path = invite(role=Role.PRINCIPAL)
    page = client.get(path).content.decode()
    assert "Join Riverside Unified on Cadence" in page
    assert "<strong>principal</strong>" in page and "new.coach@example.org" in page


def test_it_creates_the_account_signs_in_and_goes_home(cast, client, invite):
    invitation, path = invite()

    response = _accept(client, path)

    assert response.status_code == 302 and response["Location"] == reverse("coaching:home")
    user = User.objects.get(email="new.coach@example.org")
    assert user.full_name == "Nina New" and user.check_password(NEW_PASSWORD)
    assert user.membership.district == cast.district and user.membership.role == Role.COACH
    assert list(user.membership.schools.all()) == [cast.school]
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert client.get(reverse("coaching:home")).context["user"] == user


def test_it_applies_the_password_validators(client, invite):
    _, path = invite()
    for password, password2, message in [
        ("short", None, "This password is too short."),
        ("password123", None, "This password is too common."),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two password fields didn’t match."),
    ]:
        response = _accept(client, path, password=password, password2=password2)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not User.objects.filter(email="new.coach@example.org").exists()


def test_it_refuses_a_used_link(client, invite):
    _, path = invite()
    _accept(client, path)
    client.logout()

    response = client.get(path)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert "Ask your district admin for a new invitation" in response.content.decode()
    assert _accept(client, path, full_name="Someone else").status_code == 410
    assert User.objects.get(email="new.coach@example.org").full_name == "Nina New"


def test_it_refuses_an_expired_link(client, invite):
    invitation, path = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    for response in (client.get(path), _accept(client, path)):
        assert response.status_code == 410
        assert "This invitation has expired." in response.content.decode()
    assert not User.objects.filter(email="new.coach@example.org").exists()


def test_it_refuses_an_unknown_link(client, invite):
    invite()
    response = client.get(reverse("accounts:accept", kwargs={"token": "not-a-real-token"}))
    assert response.status_code == 404
    assert "Ask your district admin for a new invitation" in response.content.decode()


def test_it_resends_with_a_new_token_and_expiry(cast, client, invite, django_capture_on_commit_callbacks, mailoutbox):
    invitation, old_path = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(cast.dana)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_resend", kwargs={"invitation_id": invitation.pk}))

    assert response.status_code == 302
    new_path = LINK.search(mailoutbox[-1].body).group(1)
    assert new_path != old_path
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + datetime.timedelta(days=6)
    client.logout()
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITE, details__resent=True).count() == 1


def test_it_does_not_resend_an_accepted_invitation(cast, client, invite):
    invitation, path = invite()
    _accept(client, path)
    client.force_login(cast.dana)
    response = client.post(reverse("accounts:invitation_resend", kwargs={"invitation_id": invitation.pk}), follow=True)
    assert "has already accepted the invitation" in response.content.decode()


def test_it_hides_another_districts_invitation(cast, client, invite):
    invitation, _ = invite()
    other_admin = f.UserFactory()
    f.MembershipFactory(user=other_admin, district=cast.oscar.membership.district, role=Role.DISTRICT_ADMIN)
    client.force_login(other_admin)
    url = reverse("accounts:invitation_resend", kwargs={"invitation_id": invitation.pk})
    assert client.post(url).status_code == 404
    client.force_login(cast.alice)
    assert client.post(url).status_code == 403


def test_it_never_emails_a_replaced_link(cast, client, invite, mailoutbox):
    """A slow worker, whose task was queued before a resend, e-mails the new link rather than the dead one."""
    invitation, old_path = invite()
    # Its own e-mail waits for a commit that never comes in this test.
    services.invitation_resend(actor=cast.dana, invitation=invitation, site_url="http://testserver/")

    assert services.invitation_email_send(invitation_id=invitation.pk) is True
    new_path = LINK.search(mailoutbox[-1].body).group(1)
    assert new_path != old_path
    assert client.get(old_path).status_code == 404 and client.get(new_path).status_code == 200


def test_it_asks_for_a_resend_of_a_link_it_cannot_rebuild(cast, client, invite, mailoutbox, caplog):
    """An invitation issued before links were rebuilt from a nonce: its link still works, a worker can't resend it."""
    invitation, path = invite()
    Invitation.objects.filter(pk=invitation.pk).update(token_nonce="")

    assert services.invitation_email_send(invitation_id=invitation.pk) is False
    assert len(mailoutbox) == 1 and "resend it" in caplog.text
    assert client.get(path).status_code == 200


def test_it_refuses_to_accept_when_the_address_got_an_account_meanwhile(cast, client, invite):
    """E.g. two districts invited the same person, and the other invitation was accepted first."""
    _, path = invite()
    f.UserFactory(email="new.coach@example.org")

    response = _accept(client, path)

    assert response.status_code == 200
    assert "already has a Cadence account: sign in instead." in response.content.decode()


# --- opening a link while signed in -----------------------------------------------------------------


def test_it_never_switches_a_signed_in_session_to_the_invitation(cast, client, invite):
    _, path = invite()
    client.force_login(cast.bob)

    page = client.get(path)

    assert page.status_code == 200
    text = page.content.decode()
    assert "This invitation is for <strong>new.coach@example.org</strong>" in text
    assert "You are signed in as <strong>bob@example.org</strong>" in text
    assert f'action="{reverse("logout")}"' in text and f'name="next" value="{path}"' in text
    assert "Sign out and accept" in text and 'name="password1"' not in text
    _accept(client, path)  # the form posted anyway, e.g. from a page opened before signing in
    assert not User.objects.filter(email="new.coach@example.org").exists()
    assert client.session["_auth_user_id"] == str(cast.bob.pk)


def test_it_signs_out_and_comes_back_to_the_invitation(cast, client, invite):
    _, path = invite()
    client.force_login(cast.bob)

    response = client.post(reverse("logout"), {"next": path})

    assert response.status_code == 302 and response["Location"] == path
    assert "_auth_user_id" not in client.session
    assert 'name="password1"' in client.get(path).content.decode()
    assert _accept(client, path).status_code == 302
    assert client.get(reverse("coaching:home")).context["user"].email == "new.coach@example.org"


def test_it_sends_nobody_elsewhere_after_signing_out(cast, client):
    client.force_login(cast.bob)
    response = client.post(reverse("logout"), {"next": "https://example.invalid/phish"})
    assert response["Location"] == reverse("login")


def test_it_says_so_when_the_invitation_is_already_yours(client, invite):
    _, path = invite()
    _accept(client, path)  # signed in as the new coach now

    for response in (client.get(path), _accept(client, path, full_name="Someone else")):
        assert response.status_code == 200
        text = response.content.decode()
        assert "You have already accepted this invitation" in text and "new.coach@example.org" in text
        assert "Sign out" not in text.split("<main")[1]  # nothing to choose
    assert User.objects.get(email="new.coach@example.org").full_name == "Nina New"


def _invitation_link(client, cast, mailoutbox, django_capture_on_commit_callbacks, **request) -> str:
    client.force_login(cast.dana)
    data = {"email": "linked@example.org", "full_name": "Lin Ked", "role": Role.COACH, "schools": [cast.school.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("accounts:invite"), data, **request).status_code == 302
    return re.search(r"https?://\S+/account/invitations/[\w-]+/", mailoutbox[-1].body).group(0)


def test_it_links_to_the_address_the_admin_used_when_no_site_url_is_set(
    cast, client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = ""

    link = _invitation_link(client, cast, mailoutbox, django_capture_on_commit_callbacks, HTTP_HOST="127.0.0.1:8101")

    assert link.startswith("http://127.0.0.1:8101/account/invitations/")


def test_it_links_to_the_site_url_when_it_is_set(
    cast, client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://cadence.example.org"

    link = _invitation_link(client, cast, mailoutbox, django_capture_on_commit_callbacks, HTTP_HOST="127.0.0.1:8101")

    assert link.startswith("https://cadence.example.org/account/invitations/")


@pytest.mark.django_db(transaction=True)
def test_it_sends_one_invitation_for_a_double_tap(cast, client, mailoutbox):
    """Two threads post the same render of the form at once, each on its own database connection."""
    client.force_login(cast.dana)
    url, data = form_on(client, reverse("accounts:invite"), email="twice@example.org", full_name="Tap Twice")

    first, second = post_twice_at_once(client, url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == reverse("accounts:people")
    assert Invitation.objects.filter(email="twice@example.org").count() == 1
    assert len(mailoutbox) == 1
