"""Scheduling a step queues its invitation after commit; a separate worker process sends it."""

import email
import email.policy
import logging
import time
from pathlib import Path

import pytest

from coaching import services
from coaching.invitations import calendar_host
from coaching.models import CalendarEvent, Step
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


@pytest.fixture
def unreachable_broker():
    """Point the Celery app at a port nobody listens on, as when Redis is down."""
    from config.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:1/0", False
    app._pool, app.amqp._producer_pool = None, None  # connection pools remember the old URL
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool, app.amqp._producer_pool = None, None


def test_it_logs_a_scheduled_step_while_the_broker_is_down(
    implementing_challenge, tomorrow_at_ten, unreachable_broker, django_capture_on_commit_callbacks, caplog, mailoutbox
):
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="config.celery"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            step = services.step_log(
                challenge=implementing_challenge,
                kind=Step.Kind.PLAN_MEETING,
                done=False,
                starts_at=tomorrow_at_ten,
                minutes=30,
                invite_teacher=True,
            )

    # Publishing gives up after CELERY_BROKER_CONNECTION_TIMEOUT rather than hanging the request.
    assert time.monotonic() - started < 5
    assert len(callbacks) == 1  # the invitation was due, and queuing it was attempted
    assert Step.objects.filter(pk=step.pk, kind=Step.Kind.PLAN_MEETING, done=False).exists()
    assert "the broker is unreachable" in caplog.text
    assert mailoutbox == []
