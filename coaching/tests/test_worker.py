"""Scheduling a step queues its invitation after commit; a separate worker process sends it."""

import email
import email.policy
import time
from pathlib import Path

import pytest
from django.urls import reverse

from coaching import services
from coaching.invitations import calendar_host
from coaching.models import CalendarEvent, Step
from config.celery import relayer
from config.models import OutboxMessage
from config.tasks import relay_outbox
from testing.fixtures import UNREACHABLE_BROKER, broker_at
from testing.ical import read_one

SEPARATOR = b"-" * 79 + b"\n"  # the file-based e-mail backend ends every message with it


def wait_for_message(mail_dir: Path, seconds: float = 30) -> email.message.EmailMessage:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in mail_dir.iterdir():
            raw = path.read_bytes()
            if raw.endswith(SEPARATOR):  # written completely
                return email.message_from_bytes(raw.removesuffix(SEPARATOR), policy=email.policy.default)
        time.sleep(0.2)
    pytest.fail(f"The worker sent no e-mail within {seconds} s.")


@pytest.mark.django_db(transaction=True)
def test_it_emails_the_invitation_from_the_worker(implementing_challenge, tomorrow_at_ten, celery_worker, mailoutbox):
    step = services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.PLAN_MEETING,
        done=False,
        starts_at=tomorrow_at_ten,
        minutes=30,
        invite_teacher=True,
    )

    message = wait_for_message(celery_worker)
    assert message["To"] == "alice@example.org, maria@example.org"
    assert message["Subject"].startswith("Planning meeting with Maria Rivera")
    [invitation] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert invitation.get_param("method") == "REQUEST"
    [attached] = [part for part in message.walk() if part.get_filename() == "invite.ics"]
    event = read_one(invitation.get_content())
    assert read_one(attached.get_content()) == event
    assert event.uid == f"step-{step.pk}@{calendar_host()}"  # the worker's settings are ours
    assert [a[0] for a in event.attendees] == ["alice@example.org", "maria@example.org"]
    # The test process sent nothing itself: the message above came from the worker.
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_it_cancels_an_erased_teachers_step_from_the_worker(
    cast, implementing_challenge, tomorrow_at_ten, celery_worker
):
    """The step and the teacher are gone when the worker runs: it builds the cancellation from the event."""
    from dashboard import services as dashboard_services

    step = services.step_log(
        challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, done=False, starts_at=tomorrow_at_ten,
        invite_teacher=True,
    )  # fmt: skip
    first = wait_for_message(celery_worker)
    for path in celery_worker.iterdir():
        path.unlink()
    dashboard_services.teacher_erase(actor=cast.dana, teacher=cast.teacher, confirmation="Maria Rivera")

    cancel = wait_for_message(celery_worker)
    assert cancel["To"] == "alice@example.org, maria@example.org"
    [part] = [part for part in cancel.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL"
    event = read_one(part.get_content())
    assert (event.status, event.sequence) == ("CANCELLED", 1)
    assert event.uid == f"step-{step.pk}@{calendar_host()}"  # the worker's settings are ours
    assert first["Subject"] != cancel["Subject"]
    deadline = time.monotonic() + 10
    while CalendarEvent.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker deletes the event once the cancellation is sent
    assert not CalendarEvent.objects.exists()


def test_it_sends_an_invitation_scheduled_while_the_broker_was_down(
    client, cast, implementing_challenge, tomorrow_at_ten, celery_worker
):
    client.force_login(cast.alice)
    url = reverse("coaching:step_new", kwargs={"challenge_id": implementing_challenge.pk, "kind": "plan_meeting"})
    data = {"date": tomorrow_at_ten.date().isoformat(), "time": "10:00", "minutes": 30, "invite_teacher": "on"}
    with broker_at(UNREACHABLE_BROKER):
        started = time.monotonic()
        response = client.post(url, data)
        answered_in = time.monotonic() - started
        assert relayer.drain(10)  # the relay after commit tried, and left the task in the outbox

    assert response.status_code == 302 and answered_in < 1
    step = Step.objects.get(kind=Step.Kind.PLAN_MEETING, done=False)
    [waiting] = OutboxMessage.objects.all()
    assert waiting.task_name == "coaching.tasks.send_calendar_event"
    assert list(celery_worker.iterdir()) == []

    relay_outbox.delay()  # what beat sends every OUTBOX_RELAY_SECONDS, now that the broker is back

    message = wait_for_message(celery_worker)
    assert message["To"] == "alice@example.org, maria@example.org"
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert read_one(part.get_content()).uid == f"step-{step.pk}@{calendar_host()}"
    assert not OutboxMessage.objects.exists()
