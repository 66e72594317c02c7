"""Thin Celery tasks of the coach's side: each takes ids and calls a service."""

from celery import shared_task

from coaching import invitations


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_step_invitation(step_id: int) -> None:
    invitations.send_step_invitation(step_id=step_id)
