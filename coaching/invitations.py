"""Calendar invitations for scheduled steps (an .ics attachment e-mailed to the coach)."""

import datetime
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from coaching.models import Step


def step_calendar(step: Step, *, attendees: list[str]) -> bytes:
    enrollment = step.cycle.challenge.enrollment
    cal = Calendar()
    cal.add("prodid", "-//Cadence//coaching//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"step-{step.pk}@cadence")
    # A later SEQUENCE tells calendars that a rescheduled step replaces the earlier invitation.
    event.add("sequence", int(timezone.now().timestamp()))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", step.starts_at)
    event.add("dtend", step.starts_at + datetime.timedelta(minutes=step.minutes))
    event.add("summary", f"{step.get_kind_display()} with {enrollment.teacher.name}")
    event.add("location", enrollment.teacher.school.name)
    organizer = vCalAddress(f"mailto:{enrollment.coach.email}")
    organizer.params["cn"] = vText(str(enrollment.coach))
    event.add("organizer", organizer)
    for email in attendees:
        event.add("attendee", vCalAddress(f"mailto:{email}"), parameters={"rsvp": "TRUE"})
    cal.add_component(event)
    return cal.to_ical()


def send_step_invitation(*, step_id: int) -> bool:
    """E-mail the coach (and the teacher when asked) an invitation; False when nothing is due."""
    step = (
        Step.objects.select_related(
            "cycle__challenge__enrollment__teacher__school",
            "cycle__challenge__enrollment__coach",
            "cycle__challenge__enrollment__program__district",
        )
        .filter(pk=step_id, done=False)
        .first()
    )
    if step is None:  # deleted or already done by the time the worker got to it
        return False
    enrollment = step.cycle.challenge.enrollment
    recipients = [enrollment.coach.email]
    if step.invite_teacher and enrollment.teacher.email:
        recipients.append(enrollment.teacher.email)
    district_tz = zoneinfo.ZoneInfo(enrollment.program.district.timezone)
    when = timezone.localtime(step.starts_at, district_tz).strftime("%A %-d %B, %H:%M %Z")
    message = EmailMessage(
        subject=f"{step.get_kind_display()} with {enrollment.teacher.name}, {when}",
        body=f"{step.get_kind_display()} with {enrollment.teacher.name} at {enrollment.teacher.school.name}, "
        f"{when} ({step.minutes} minutes).\n\nThe attached invitation adds it to your calendar.\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach("invite.ics", step_calendar(step, attendees=recipients), "text/calendar; method=REQUEST")
    message.send()
    return True
