"""The calendar invitation of a scheduled step, built and sent in-process (eager Celery, locmem mail)."""

import datetime

import pytest
from icalendar import Calendar

from coaching import services
from coaching.invitations import send_step_invitation, step_calendar
from coaching.models import Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedule(implementing_challenge, tomorrow_at_ten):
    """Schedule the planning meeting of cycle 1 (its invitation is not sent: nothing commits)."""

    def schedule(**fields) -> Step:
        fields = {"done": False, "starts_at": tomorrow_at_ten, "minutes": 45, **fields}
        return services.step_log(challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, **fields)

    return schedule


def event_of(ics: bytes):
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return event


def attendees_of(event) -> list[str]:
    attendees = event.get("attendee", [])
    return [str(a) for a in (attendees if isinstance(attendees, list) else [attendees])]


def sent_event(mailoutbox):
    [message] = mailoutbox
    [(filename, content, mimetype)] = message.attachments
    assert filename == "invite.ics"
    assert mimetype.startswith("text/calendar")
    return event_of(content.encode() if isinstance(content, str) else content)


def test_it_keeps_one_uid_per_step(schedule, cast):
    step = schedule()
    first = event_of(step_calendar(step, attendees=[]))
    step.starts_at += datetime.timedelta(days=1)  # rescheduled: the same event, moved
    second = event_of(step_calendar(step, attendees=[]))

    assert str(first["uid"]) == str(second["uid"]) == f"step-{step.pk}@cadence"
    assert second["sequence"] >= first["sequence"]


def test_it_gives_each_step_its_own_uid(cast, schedule, implementing_challenge):
    planning = schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))
    visit = services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.VISIT,
        visit_mode=Step.VisitMode.OBSERVE,
        starts_at=datetime.datetime(2026, 9, 8, 10, tzinfo=datetime.UTC),
    )

    uids = {str(event_of(step_calendar(step, attendees=[]))["uid"]) for step in (planning, visit)}
    assert uids == {f"step-{planning.pk}@cadence", f"step-{visit.pk}@cadence"}


def test_it_times_the_event_from_the_step(schedule, tomorrow_at_ten):
    event = event_of(step_calendar(schedule(minutes=45), attendees=[]))

    assert event.decoded("dtstart") == tomorrow_at_ten
    assert event.decoded("dtend") == tomorrow_at_ten + datetime.timedelta(minutes=45)
    assert str(event["summary"]) == "Planning meeting with Maria Rivera"
    assert str(event["location"]) == "Lincoln Middle School"


def test_it_makes_the_coach_the_organizer(schedule):
    event = event_of(step_calendar(schedule(), attendees=[]))

    assert str(event["organizer"]) == "mailto:alice@example.org"
    assert str(event["organizer"].params["cn"]) == "Alice"


def test_it_invites_only_the_coach_by_default(schedule, mailoutbox):
    step = schedule(invite_teacher=False)

    assert send_step_invitation(step_id=step.pk) is True
    assert mailoutbox[0].to == ["alice@example.org"]
    assert attendees_of(sent_event(mailoutbox)) == ["mailto:alice@example.org"]


def test_it_invites_the_teacher_when_asked(schedule, mailoutbox):
    step = schedule(invite_teacher=True)

    assert send_step_invitation(step_id=step.pk) is True
    assert mailoutbox[0].to == ["alice@example.org", "maria@example.org"]
    assert attendees_of(sent_event(mailoutbox)) == ["mailto:alice@example.org", "mailto:maria@example.org"]


def test_it_skips_a_teacher_without_an_email_address(cast, schedule, mailoutbox):
    cast.teacher.email = ""
    cast.teacher.save()
    step = schedule(invite_teacher=True)

    assert send_step_invitation(step_id=step.pk) is True
    assert mailoutbox[0].to == ["alice@example.org"]


def test_it_writes_the_time_in_the_districts_time_zone(schedule, mailoutbox, tomorrow_at_ten):
    step = schedule()

    send_step_invitation(step_id=step.pk)
    assert f"{tomorrow_at_ten:%A} {tomorrow_at_ten.day} {tomorrow_at_ten:%B}, 10:00" in mailoutbox[0].subject
    assert "(45 minutes)" in mailoutbox[0].body


def test_it_sends_nothing_for_a_done_step(schedule, mailoutbox):
    step = schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))

    assert send_step_invitation(step_id=step.pk) is False
    assert mailoutbox == []


def test_it_sends_nothing_for_a_deleted_step(schedule, mailoutbox):
    step = schedule()
    step.delete()

    assert send_step_invitation(step_id=step.pk) is False
    assert mailoutbox == []


def test_it_sends_the_invitation_once_the_step_is_committed(schedule, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        schedule(invite_teacher=True)
    assert mailoutbox == []  # nothing before the commit

    for callback in callbacks:
        callback()  # the commit: the eager task runs in-process
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.org", "maria@example.org"]


def test_it_does_not_invite_for_a_step_logged_as_done(schedule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))

    assert callbacks == []
