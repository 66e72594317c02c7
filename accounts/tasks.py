"""Thin Celery tasks about people: each takes ids and calls a service."""

from celery import shared_task

from accounts import services
from config.jobs import TRANSIENT_ERRORS


@shared_task(autoretry_for=(OSError, *TRANSIENT_ERRORS), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int) -> None:
    # The id alone: the link is rebuilt here, so the broker never holds it (services.invitation_token).
    services.invitation_email_send(invitation_id=invitation_id)
