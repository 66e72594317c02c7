"""Thin Celery tasks about people: each takes ids and calls a service."""

from celery import shared_task

from accounts import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int, token: str) -> None:
    # The raw token is an argument (the database keeps only its hash); see services._issue.
    services.invitation_email_send(invitation_id=invitation_id, token=token)
