"""Every write about people: invitations, roles, deactivation. Callers pass district-scoped objects."""

import datetime
import logging
import secrets
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import audit, scoping
from accounts.models import AuditEvent, District, Invitation, Membership, Role, School, User, token_hash
from config import sites
from config.celery import enqueue
from config.text import single_line

INVITATION_LIFETIME = datetime.timedelta(days=7)
logger = logging.getLogger(__name__)


def invitation_token(invitation: Invitation) -> str:
    """The secret of the invitation's link (64 hex digits), rebuilt from its nonce and SECRET_KEY.

    The nonce is random and new with every link, so nothing else needs binding in.
    """
    return salted_hmac("accounts.Invitation.token", invitation.token_nonce, algorithm="sha256").hexdigest()


def _check_schools(district: District, role: str, schools: Iterable[School]) -> list[School]:
    schools = list(schools)
    if any(school.district_id != district.pk for school in schools):
        raise ValidationError({"schools": "Choose schools of this district."})
    if role == Role.PRINCIPAL and not schools:
        raise ValidationError({"schools": "Choose the schools this principal leads."})
    return [] if role == Role.DISTRICT_ADMIN else schools


def _check_email_free(district: District, email: str) -> None:
    user = User.objects.filter(email__iexact=email).select_related("membership").first()
    if user is None:
        return
    if not user.is_active and getattr(user, "membership", None) and user.membership.district_id == district.pk:
        raise ValidationError({"email": f"{email} belongs to someone deactivated: reactivate them on the People page."})
    raise ValidationError({"email": f"{email} already has a Cadence account, so it cannot be invited again."})


def _issue(invitation: Invitation, site_url: str) -> None:
    """Give the invitation a new link (the old one dies) and expiry; the caller queues its e-mail once saved.

    `site_url` is the address the admin reached Cadence at (the view passes the request's): the link
    starts there unless settings.SITE_URL is set.
    """
    invitation.site_url = site_url.rstrip("/")[:200]
    invitation.token_nonce = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(invitation_token(invitation))
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    district: District,
    email: str,
    full_name: str,
    role: str,
    schools: Iterable[School] = (),
    site_url: str,
) -> Invitation:
    """Invite someone to the district by e-mail; `site_url` as for _issue.

    The district's row is locked first, so that two admins inviting the same address at once cannot both
    pass the pending-invitation check: the second waits, then sees the first's invitation.
    """
    email = email.strip().lower()
    District.objects.select_for_update().filter(pk=district.pk).exists()
    _check_email_free(district, email)
    if district.invitations.filter(email__iexact=email, accepted_at__isnull=True).exists():
        raise ValidationError({"email": f"{email} already has a pending invitation: resend it from the People page."})
    schools = _check_schools(district, role, schools)
    invitation = Invitation(district=district, email=email, full_name=full_name.strip(), role=role, invited_by=actor)
    _issue(invitation, site_url)
    invitation.full_clean()
    invitation.save()
    invitation.schools.set(schools)
    # Only the id is queued (in this transaction, via the outbox): the worker rebuilds the link, so no
    # broker, log or task result holds it.
    enqueue("accounts.tasks.send_invitation", invitation.pk)
    audit.record(
        district=district,
        actor=actor,
        action=AuditEvent.Action.INVITE,
        summary=f"Invited {email} as {Role(role).label}",
        email=email,
        role=role,
        schools=[school.pk for school in schools],
    )
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation, site_url: str) -> Invitation:
    """A new link with a new expiry; the old link stops working. `site_url` as for _issue."""
    if invitation.accepted_at is not None:
        raise ValidationError(f"{invitation.email} has already accepted the invitation.")
    _issue(invitation, site_url)
    invitation.save(update_fields=["site_url", "token_nonce", "token_hash", "expires_at"])
    enqueue("accounts.tasks.send_invitation", invitation.pk)
    audit.record(
        district=invitation.district,
        actor=actor,
        action=AuditEvent.Action.INVITE,
        summary=f"Invitation resent to {invitation.email}",
        email=invitation.email,
        resent=True,
    )
    return invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """E-mail the invitation's current link; False when it was accepted meanwhile or has no link to rebuild.

    A task queued before a resend sends the new link: a replaced link is never e-mailed.
    """
    invitation = (
        Invitation.objects.select_related("district", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    token = invitation_token(invitation)
    if token_hash(token) != invitation.token_hash:
        # Issued before links were rebuilt from a nonce (or SECRET_KEY changed since): only a resend helps.
        logger.warning("Invitation %s has no link that can be rebuilt: resend it.", invitation.pk)
        return False
    base = settings.SITE_URL.rstrip("/") or invitation.site_url or sites.site_url()
    context = {
        "invitation": invitation,
        "link": base + reverse("accounts:accept", kwargs={"token": token}),
        "role": invitation.get_role_display(),
    }
    with timezone.override(zoneinfo.ZoneInfo(invitation.district.timezone)):  # the expiry date, as they live it
        message = render_to_string("accounts/email/invitation.txt", context)
    send_mail(
        subject=single_line(f"You're invited to Cadence for {invitation.district}"),
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    return True


def invitation_problem(*, invitation: Invitation | None) -> str | None:
    """Why this invitation cannot be accepted now, or None when it can."""
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link."
    if invitation.accepted_at is not None:
        return "This invitation has already been used."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired."
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Create the person, their membership and schools, and use up the invitation, all at once."""
    # Lock the row, so two clicks on the same link cannot both create an account.
    invitation = Invitation.objects.select_for_update().select_related("district").get(pk=invitation.pk)
    if problem := invitation_problem(invitation=invitation):
        raise ValidationError(problem)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(f"{invitation.email} already has a Cadence account: sign in instead.")
    user = User(email=invitation.email, full_name=full_name.strip())
    user.set_password(password)
    user.full_clean()
    user.save()
    membership = Membership.objects.create(user=user, district=invitation.district, role=invitation.role)
    membership.schools.set(invitation.schools.all())
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


def _describe(membership: Membership) -> dict:
    return {"role": membership.role, "schools": sorted(school.name for school in membership.schools.all())}


def _end_caseload(user: User, *, at_schools: Iterable[School] | None = None) -> int:
    """End the user's active enrollments (at these schools only, when given) today; how many ended.

    Access to a teacher's record follows an active enrollment (accounts.scoping), so a change that
    takes away the role, the account or the school ends the enrollments with it, in the caller's
    transaction, rather than leave them for the rule to ignore (they would still count as caseloads), and
    calendars hear that their scheduled steps are cancelled once it commits (the task is queued in it).
    """
    entries = scoping.caseload(user, at_schools=at_schools)
    ids = list(entries.values_list("pk", flat=True))
    if ids:
        entries.model._default_manager.filter(pk__in=ids).end(timezone.localdate())
        # Their scheduled steps are not going to happen: calendars get the cancellation (by task: coaching
        # is above accounts).
        enqueue("coaching.tasks.cancel_ended_enrollments_steps", *ids)
    return len(ids)


@transaction.atomic
def member_update(*, actor: User, membership: Membership, role: str, schools: Iterable[School]) -> Membership:
    """Change a person's role and schools.

    A coach who stops being a coach loses their whole caseload; a coach who leaves a school loses the
    enrollments of that school's teachers: those enrollments end today, in this transaction, and
    their records close (accounts.scoping). The audit line says how many ended.
    """
    if membership.user_id == actor.pk and role != Role.DISTRICT_ADMIN:
        raise ValidationError(
            {"role": "You can't remove your own district admin role: ask another district admin to do it."}
        )
    schools = _check_schools(membership.district, role, schools)
    before = _describe(membership)
    was_coach, left = membership.role == Role.COACH, set(membership.schools.all()) - set(schools)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    membership.schools.set(schools)
    after = _describe(membership)
    ended = 0
    if was_coach and role != Role.COACH:
        ended = _end_caseload(membership.user)
    elif was_coach and left:
        ended = _end_caseload(membership.user, at_schools=left)
    if after != before:
        audit.record(
            district=membership.district,
            actor=actor,
            action=AuditEvent.Action.ROLE_CHANGE,
            summary=f"{membership.user}: {Role(before['role']).label} → {Role(role).label}",
            user=membership.user_id,
            before=before,
            after=after,
            **({"enrollments_ended": ended} if ended else {}),
        )
    return membership


@transaction.atomic
def member_set_active(*, actor: User, membership: Membership, active: bool) -> User:
    """Deactivated people cannot sign in; everything they logged stays.

    Deactivating a coach ends their enrollments today (their records close, accounts.scoping);
    reactivating restores the sign-in only, never the caseload.
    """
    user = membership.user
    if user.pk == actor.pk:
        raise ValidationError("You can't deactivate yourself: ask another district admin to do it.")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    ended = 0 if active else _end_caseload(user)
    audit.record(
        district=membership.district,
        actor=actor,
        action=AuditEvent.Action.REACTIVATE if active else AuditEvent.Action.DEACTIVATE,
        summary=f"{'Reactivated' if active else 'Deactivated'} {user}",
        user=user.pk,
        **({"enrollments_ended": ended} if ended else {}),
    )
    return user
