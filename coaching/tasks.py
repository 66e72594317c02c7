import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from coaching import invitations

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Queue a task without letting a broker outage fail the request that already committed."""
    try:
        task.delay(*args)
    except OperationalError:
        logger.exception("Could not queue %s%r: the broker is unreachable.", task.name, args)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_step_invitation(step_id: int) -> None:
    invitations.send_step_invitation(step_id=step_id)
