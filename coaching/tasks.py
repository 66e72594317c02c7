"""Thin Celery tasks of the coach's side: each takes ids and calls a service."""

from celery import shared_task

from coaching import invitations, services
from coaching.models import CalendarEvent
from config.jobs import TRANSIENT_ERRORS


@shared_task(autoretry_for=(OSError, *TRANSIENT_ERRORS), retry_backoff=True, max_retries=5)
def send_calendar_event(event_id: int) -> None:
    """E-mail a step's calendar invitation or cancellation (coaching.invitations.send_calendar_event)."""
    invitations.send_calendar_event(event_id=event_id)


@shared_task(autoretry_for=(OSError, *TRANSIENT_ERRORS), retry_backoff=True, max_retries=5)
def send_step_invitation(step_id: int) -> None:
    """The name used before calendar events were kept: messages queued by an older release still send."""
    event_id = CalendarEvent.objects.filter(step_id=step_id).values_list("pk", flat=True).first()
    if event_id is not None:
        invitations.send_calendar_event(event_id=event_id)


@shared_task
def relay_calendar_events() -> None:
    """Celery beat: queue again every calendar change whose e-mail never went (a message the broker lost)."""
    for event_id in invitations.unsent_events():
        send_calendar_event.delay(event_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def cancel_ended_enrollments_steps(*enrollment_ids: int) -> None:
    """Calendars hear that the steps of enrollments a role, school or account change ended are cancelled."""
    services.ended_enrollments_steps_cancel(enrollment_ids=enrollment_ids)
