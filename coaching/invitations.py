"""Calendar invitations of scheduled steps (RFC 5545 iCalendar, RFC 5546 iTIP), and the coach's feed.

How a scheduled step reaches calendars:

- the services call `event_schedule` (a step scheduled, rescheduled, the teacher invited) or
  `events_cancel` (the step cancelled, its teacher erased, the enrollment ended or moved) inside the
  writing transaction. Each keeps one `CalendarEvent` per step, with its UID, SEQUENCE, times, summary
  and attendees, bumps the SEQUENCE (`Step.sequence` too) and queues
  `coaching.tasks.send_calendar_event` with the event's id in the same transaction (config.celery's
  outbox: it reaches the worker once the write commits, even if the broker was down then);
- the task (`send_calendar_event`) e-mails what the event says now: a `METHOD:REQUEST`, or a
  `METHOD:CANCEL` with `STATUS:CANCELLED`, each as a `text/calendar` alternative part (what Outlook
  and Gmail show as an invitation) and as an `invite.ics` attachment. It sends each SEQUENCE once.

The organizer is Cadence's sending address with the coach's name ("Alice via Cadence"): the coach is
an attendee (who scheduled it, so already accepted), the teacher another when invited. The UID
`step-<id>@<host>` holds the installation's host, so two districts' events never collide, and stays
the same across reschedules.

Every value from people (a teacher's, school's or coach's name) goes into an e-mail header or a
calendar line through config.text.single_line: forms and imports keep control characters out of what
is stored, and this keeps a value stored any other way (the Django admin, an older import) from
breaking a header or a calendar line. E-mail addresses are validated wherever they are entered.
"""

import datetime
import logging
import zoneinfo
from collections.abc import Iterable
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from coaching.models import Activity, CalendarEvent, Step
from config.celery import enqueue
from config.text import single_line

logger = logging.getLogger(__name__)

PRODID = "-//Cadence//coaching//EN"
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"


def calendar_host() -> str:
    """The installation's host for UIDs: SITE_URL's, else the first concrete ALLOWED_HOSTS entry."""
    host = urlsplit(settings.SITE_URL).hostname
    if not host:
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))), "cadence.invalid")
    return host.strip("[]")


def step_uid(step_id: int) -> str:
    return f"step-{step_id}@{calendar_host()}"


def activity_uid(activity_id: int) -> str:
    return f"activity-{activity_id}@{calendar_host()}"


def sender_address() -> str:
    """The bare e-mail address of DEFAULT_FROM_EMAIL (the organizer of every invitation)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _address(person: dict, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person['email']}")
    if person.get("name"):
        address.params["cn"] = vText(single_line(person["name"]))
    address.params.update(params)
    return address


# --- building the events ---------------------------------------------------------------------------


def event_calendar(event: CalendarEvent, *, method: str, attendees: list[dict] | None = None) -> bytes:
    """The iCalendar object of `event` for `method` (REQUEST or CANCEL), to `attendees` (default: the event's).

    Times in UTC; lines folded at 75 octets by icalendar.
    """
    attendees = event.attendees if attendees is None else attendees
    coach_email = event.attendees[0]["email"] if event.attendees else ""
    cal = _calendar(method)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _utc(timezone.now()))
    vevent.add("dtstart", _utc(event.starts_at))
    vevent.add("dtend", _utc(event.ends_at))
    vevent.add("summary", single_line(event.summary))
    if event.location:
        vevent.add("location", single_line(event.location))
    vevent.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    coach_name = event.attendees[0]["name"] if event.attendees else ""
    organizer = _address({"email": sender_address(), "name": f"{coach_name} via Cadence".strip()})
    vevent.add("organizer", organizer)
    for person in attendees:
        # The coach scheduled it (accepted); Cadence reads no replies, so nobody is asked for one.
        partstat = "ACCEPTED" if person["email"] == coach_email else "NEEDS-ACTION"
        vevent.add(
            "attendee",
            _address(person, role="REQ-PARTICIPANT", partstat=partstat, rsvp="FALSE", cutype="INDIVIDUAL"),
        )
    cal.add_component(vevent)
    return cal.to_ical()


def _step_facts(step: Step) -> dict:
    enrollment = step.cycle.challenge.enrollment
    coach, teacher = enrollment.coach, enrollment.teacher
    attendees = [{"email": coach.email, "name": single_line(coach)}]
    if step.invite_teacher and teacher.email:
        attendees.append({"email": teacher.email, "name": single_line(teacher.name)})
    return {
        "coach": coach,
        "starts_at": step.starts_at,
        "ends_at": step.starts_at + datetime.timedelta(minutes=step.minutes),
        "summary": single_line(f"{step.get_kind_display()} with {teacher.name}"),
        "location": single_line(teacher.school.name),
        "attendees": attendees,
        "time_zone": enrollment.program.district.timezone,
    }


def _queue(event: CalendarEvent) -> None:
    enqueue("coaching.tasks.send_calendar_event", event.pk)  # in this transaction; sent once it commits


def event_schedule(step: Step) -> CalendarEvent | None:
    """Keep the calendar event of a scheduled (not done) step current, and queue it when calendars must hear.

    Called inside the transaction that saved `step`. The first time: a new event, SEQUENCE 0. After
    that, a change of time, length or attendees (the teacher invited or no longer) bumps the SEQUENCE
    of the step and of the event; an uninvited teacher is owed a cancellation of their copy. Returns
    the event, or None for a done step (nothing to invite to), a teacher no longer on the caseload (their
    steps were cancelled when the enrollment ended), or nothing to send.
    """
    if step.done or step.cycle.challenge.enrollment.ends_on is not None:
        return None
    facts = _step_facts(step)
    event = CalendarEvent.objects.select_for_update().filter(step=step).first()
    if event is None:
        event = CalendarEvent.objects.filter(uid=step_uid(step.pk)).first() or CalendarEvent(uid=step_uid(step.pk))
        event.step, event.sequence = step, step.sequence
        for name, value in facts.items():
            setattr(event, name, value)
        event.save()
        _queue(event)
        return event
    was = {e["email"] for e in event.attendees}
    changed = (
        event.cancelled
        or event.starts_at != facts["starts_at"]
        or event.ends_at != facts["ends_at"]
        or was != {e["email"] for e in facts["attendees"]}
    )
    if not changed:
        return None
    now = {e["email"] for e in facts["attendees"]}
    owed = [p for p in event.attendees + event.uninvited if p["email"] not in now]
    event.uninvited = list({p["email"]: p for p in owed}.values())
    step.sequence = max(step.sequence, event.sequence) + 1
    Step.objects.filter(pk=step.pk).update(sequence=step.sequence)
    for name, value in facts.items():
        setattr(event, name, value)
    event.sequence, event.cancelled = step.sequence, False
    event.save()
    _queue(event)
    return event


def events_cancel(steps: QuerySet[Step] | Iterable[Step]) -> int:
    """Cancel in calendars every scheduled (not done) step of `steps`; returns how many were cancelled.

    Called inside the writing transaction, before the steps are deleted (a cancelled step, an erased
    teacher) or while they stay (an enrollment ended or moved): each event's SEQUENCE goes up and a
    `METHOD:CANCEL` goes to its attendees after the commit. Steps never sent need nothing.
    """
    step_ids = [s.pk for s in steps] if not isinstance(steps, QuerySet) else steps.values("pk")
    events = CalendarEvent.objects.select_for_update().filter(step__in=step_ids, step__done=False, cancelled=False)
    cancelled = 0
    for event in events.select_related("step"):
        step = event.step
        step.sequence = max(step.sequence, event.sequence) + 1
        Step.objects.filter(pk=step.pk).update(sequence=step.sequence)
        event.sequence, event.cancelled = step.sequence, True
        event.save(update_fields=["sequence", "cancelled"])
        _queue(event)
        cancelled += 1
    return cancelled


def events_unname(steps: QuerySet[Step], *, teacher_email: str) -> int:
    """Before a teacher's erasure: the events of these steps keep only what their cancellation needs.

    The UID, times and the attendees' addresses stay (the CANCEL must reach the calendars that hold the
    event); the summary no longer names the teacher, and no attendee keeps a name but the coach. The
    event is deleted once its CANCEL is sent (send_calendar_event). Returns how many events changed.
    """
    changed = 0
    for event in CalendarEvent.objects.select_for_update().filter(step__in=steps.values("pk")):
        event.summary = UNNAMED_SUMMARY
        event.attendees = [_unnamed(person, teacher_email) for person in event.attendees]
        event.uninvited = [_unnamed(person, teacher_email) for person in event.uninvited]
        event.save(update_fields=["summary", "attendees", "uninvited"])
        changed += 1
    return changed


UNNAMED_SUMMARY = "Coaching meeting"


def _unnamed(person: dict, teacher_email: str) -> dict:
    # CN is the address itself: some readers show the address when CN is missing, others nothing.
    return {"email": person["email"], "name": person["email"]} if person["email"] == teacher_email else person


def events_forget(steps: QuerySet[Step]) -> int:
    """Delete the events of steps about to be erased that calendars need not hear about (done steps)."""
    deleted, _ = CalendarEvent.objects.filter(step__in=steps.values("pk"), step__done=True).delete()
    return deleted


# --- sending ----------------------------------------------------------------------------------------


def _message(event: CalendarEvent, *, method: str, to: list[dict]) -> EmailMultiAlternatives:
    tz = zoneinfo.ZoneInfo(event.time_zone)
    when = timezone.localtime(event.starts_at, tz).strftime("%A %-d %B, %H:%M %Z")
    minutes = int((event.ends_at - event.starts_at).total_seconds() // 60)
    if method == CANCEL:
        subject = f"Cancelled: {event.summary}, {when}"
        body = f"{event.summary}, {when}, is cancelled.\n\nYour calendar removes it when you open this message.\n"
    else:
        subject = f"{event.summary}, {when}"
        location = f" at {event.location}" if event.location else ""
        body = (
            f"{event.summary}{location}, {when} ({minutes} minutes).\n\n"
            "Your calendar shows it as an invitation; the attached invite.ics adds it to any other calendar.\n"
        )
    ics = event_calendar(event, method=method, attendees=to)
    message = EmailMultiAlternatives(
        subject=single_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[p["email"] for p in to]
    )
    # RFC 6047: the iTIP object as a text/calendar alternative with its method (what Outlook and Gmail
    # show as an invitation); the same object as a file for every other mail client.
    message.attach_alternative(ics.decode(), f"text/calendar; method={method}")
    message.attach("invite.ics", ics, "application/ics")
    return message


def send_calendar_event(*, event_id: int) -> int:
    """E-mail what the event says now, once per SEQUENCE; returns how many messages were sent.

    A REQUEST to its attendees (and a CANCEL to anyone uninvited since the last one), or a CANCEL to
    all when it is cancelled. A cancelled event whose step is gone is deleted once its CANCEL is sent.
    Raises OSError when the mail server is unreachable (the task retries; nothing is marked sent).
    """
    with transaction.atomic():
        event = CalendarEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or not event.unsent:
            return 0  # gone, or a duplicate delivery of something already sent
        messages = []
        if event.cancelled:
            if event.sent_sequence >= 0:  # calendars have it: take it out
                messages.append(_message(event, method=CANCEL, to=event.attendees))
        else:
            messages.append(_message(event, method=REQUEST, to=event.attendees))
            if event.uninvited and event.sent_sequence >= 0:
                messages.append(_message(event, method=CANCEL, to=event.uninvited))
        for message in messages:
            message.send()
        if event.cancelled and event.step_id is None:
            event.delete()  # the step is gone (cancelled, or its teacher erased): keep nothing of it
        else:
            event.sent_sequence, event.uninvited = event.sequence, []
            event.save(update_fields=["sent_sequence", "uninvited"])
        return len(messages)


def unsent_events(*, limit: int = 500) -> list[int]:
    """Ids of events whose last change was never sent (say the broker was down when it was queued)."""
    return list(CalendarEvent.objects.filter(sent_sequence__lt=F("sequence")).values_list("pk", flat=True)[:limit])


# --- the coach's subscription feed ------------------------------------------------------------------


def feed_calendar(*, coach_name: str, steps: Iterable[Step], activities: Iterable[Activity]) -> bytes:
    """A `METHOD:PUBLISH` calendar of the coach's steps and activities: titles and times, never notes."""
    cal = _calendar(PUBLISH)
    cal.add("x-wr-calname", single_line(f"Cadence · {coach_name}"))
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"value": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    stamp = _utc(timezone.now())
    for step in steps:
        teacher = step.cycle.challenge.enrollment.teacher
        vevent = Event()
        vevent.add("uid", step_uid(step.pk))
        vevent.add("sequence", step.sequence)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", _utc(step.starts_at))
        vevent.add("dtend", _utc(step.starts_at + datetime.timedelta(minutes=step.minutes)))
        vevent.add("summary", single_line(f"{step.get_kind_display()} with {teacher.name}"))
        vevent.add("location", single_line(teacher.school.name))
        vevent.add("status", "CONFIRMED")
        cal.add_component(vevent)
    for activity in activities:
        # An activity has a day and minutes, not a time: an all-day entry that does not block the day.
        title = activity.get_kind_display()
        if activity.enrollment_id:
            title = f"{title} with {activity.enrollment.teacher.name}"
        vevent = Event()
        vevent.add("uid", activity_uid(activity.pk))
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", activity.held_on)
        vevent.add("dtend", activity.held_on + datetime.timedelta(days=1))
        vevent.add("summary", single_line(f"{title} ({activity.minutes} min)"))
        vevent.add("transp", "TRANSPARENT")
        cal.add_component(vevent)
    return cal.to_ical()
