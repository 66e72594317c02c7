"""Digest e-mails: a coach's morning e-mail, a principal's weekly summary (Celery beat, every 15 minutes).

Each person has a slot in their district's time zone (dashboard.models.DigestSetting: a time; for a
principal, a weekday too; or off). `send_due_digests` sends every digest whose latest slot has come
within DUE_WINDOW and was not sent yet: the slot's local date is stored as `last_sent_on` in the same
transaction, with the person's row locked, so a re-run, an overlapping run or a second beat never
sends twice. A run that comes later than DUE_WINDOW after the slot (the workers were down all morning)
skips that slot rather than sending a morning e-mail at night.

What each digest holds comes from the selectors of the pages the person already sees, under the same
rules: the coach's home (coaching.selectors.coach_home), the school summary for a principal
(dashboard.selectors.school_figures and challenge_categories: aggregates, suppressed below k
teachers). A principal's digest never holds a teacher's name, notes or challenge text.
"""

import datetime
import logging
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import scoping
from accounts.models import Membership, Role, User
from coaching.selectors import CONTACT_DAYS, STALE_VISIT_DAYS, coach_home
from config.sites import site_url
from config.text import single_line
from dashboard import selectors
from dashboard.models import DigestSetting

logger = logging.getLogger(__name__)

DUE_WINDOW = datetime.timedelta(hours=2)
DIGEST_ROLES = (Role.COACH, Role.PRINCIPAL)


def latest_slot(setting: DigestSetting, role: str, local_now: datetime.datetime) -> datetime.datetime:
    """The latest moment at or before `local_now` (aware, the district's zone) that this digest is due.

    A coach's every day at `send_at`; a principal's on `weekday` at `send_at`.
    """
    slot = datetime.datetime.combine(local_now.date(), setting.send_at, tzinfo=local_now.tzinfo)
    if slot > local_now:
        slot -= datetime.timedelta(days=1)
    if role == Role.PRINCIPAL:
        slot -= datetime.timedelta(days=(slot.weekday() - setting.weekday) % 7)
    return slot


def due_on(setting: DigestSetting, role: str, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.date | None:
    """The local date of the slot due now and not sent yet, or None (off, sent, or the slot long past)."""
    if not setting.enabled:
        return None
    local_now = timezone.localtime(now, tz)
    slot = latest_slot(setting, role, local_now)
    if local_now - slot >= DUE_WINDOW:
        return None
    if setting.last_sent_on is not None and setting.last_sent_on >= slot.date():
        return None
    return slot.date()


@dataclass(frozen=True)
class Digest:
    subject: str
    body: str


def _link(name: str) -> str:
    return site_url() + reverse(name)


def coach_digest(user: User, *, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> Digest | None:
    """Today's steps, visits waiting for a debrief, teachers not seen in CONTACT_DAYS days; None when empty."""
    with timezone.override(tz):
        home = coach_home(user, now=now)
        if not (home.today or home.stale_visits or home.not_contacted):
            return None
        today = timezone.localdate(now)
        context = {
            "user": user,
            "home": home,
            "today": today,
            "contact_days": CONTACT_DAYS,
            "stale_days": STALE_VISIT_DAYS,
            "link": _link("coaching:home"),
            "settings_link": _link("dashboard:digest"),
        }
        body = render_to_string("dashboard/email/coach_digest.txt", context)
    steps = len(home.today)
    subject = f"Your coaching day, {today:%A} {today.day} {today:%B}: " + (
        f"{steps} step{'s' if steps != 1 else ''} scheduled" if steps else "nothing scheduled"
    )
    return Digest(subject=subject, body=body)


def principal_digest(membership: Membership, *, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> Digest | None:
    """The week's summary of the principal's schools: the school summary's aggregates, suppressed alike."""
    schools = list(scoping.schools(membership))
    if not schools:
        return None
    with timezone.override(tz):
        today = timezone.localdate(now)
        district = membership.district
        figures = selectors.school_figures(district, schools, now=now)
        rows = [(figure, selectors.challenge_categories(district, figure.school, today=today)) for figure in figures]
        context = {
            "user": membership.user,
            "rows": rows,
            "today": today,
            "k": district.suppression_k,
            "link": _link("dashboard:school"),
            "settings_link": _link("dashboard:digest"),
        }
        body = render_to_string("dashboard/email/principal_digest.txt", context)
    return Digest(subject=f"Coaching this week at your school{'s' if len(schools) > 1 else ''}", body=body)


def _digest_for(membership: Membership, now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> Digest | None:
    if membership.role == Role.COACH:
        return coach_digest(membership.user, now=now, tz=tz)
    return principal_digest(membership, now=now, tz=tz)


def _people() -> list[Membership]:
    return list(
        Membership.objects.filter(role__in=DIGEST_ROLES, user__is_active=True)
        .exclude(Q(user__digest_setting__enabled=False))
        .select_related("user", "district")
        .order_by("pk")
    )


def send_digest(*, user_id: int, now: datetime.datetime | None = None) -> bool:
    """Send this person's digest if it is due now; True when an e-mail went out.

    The person's DigestSetting row is locked for the duration (a concurrent run skips them) and
    `last_sent_on` is set in the same transaction as the send is decided.
    """
    now = now or timezone.now()
    membership = Membership.objects.select_related("user", "district").filter(user_id=user_id).first()
    if membership is None or membership.role not in DIGEST_ROLES or not membership.user.is_active:
        return False
    DigestSetting.objects.get_or_create(user_id=user_id)
    tz = zoneinfo.ZoneInfo(membership.district.timezone)
    with transaction.atomic():
        setting = DigestSetting.objects.select_for_update(skip_locked=True).filter(user_id=user_id).first()
        if setting is None:
            return False  # another run holds this person right now
        slot_day = due_on(setting, membership.role, now, tz)
        if slot_day is None:
            return False
        digest = _digest_for(membership, now, tz)
        setting.last_sent_on = slot_day
        setting.save(update_fields=["last_sent_on"])
        if digest is None:
            return False  # nothing to say today: marked, so the next run does not look again
        EmailMessage(
            subject=single_line(digest.subject),
            body=digest.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[membership.user.email],
        ).send()
        return True


def send_due_digests(*, now: datetime.datetime | None = None) -> int:
    """Send every digest due now (the periodic task's work); returns how many e-mails went out.

    One person's failure (their mail refused) is logged and does not stop the others; their slot stays
    unsent, so the next run tries again within DUE_WINDOW.
    """
    now = now or timezone.now()
    sent = 0
    for membership in _people():
        try:
            sent += send_digest(user_id=membership.user_id, now=now)
        except OSError:
            logger.exception("The digest of user %s could not be sent.", membership.user_id)
    return sent


@transaction.atomic
def digest_setting_save(
    *, actor: User, enabled: bool, send_at: datetime.time, weekday: int = DigestSetting.Weekday.MONDAY
) -> DigestSetting:
    """Change when the actor gets their digest (or turn it off). A change of time never re-sends today's."""
    setting, _ = DigestSetting.objects.get_or_create(user=actor)
    setting.enabled, setting.send_at, setting.weekday = enabled, send_at.replace(second=0, microsecond=0), weekday
    setting.full_clean()
    setting.save()
    return setting


def digest_setting(user: User) -> DigestSetting:
    """The person's setting, or the defaults (unsaved) when they never changed it."""
    return DigestSetting.objects.filter(user=user).first() or DigestSetting(user=user)
