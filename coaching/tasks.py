import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from coaching import invitations

logger = logging.getLogger(__name__)


def enqueue(task, *ids: int) -> None:
    """Queue a task, which takes ids only, without letting a broker outage fail the request that already committed.

    The log line of an outage names the task and its ids, and leaves out anything else: a secret passed
    by mistake never reaches a log.
    """
    try:
        task.delay(*ids)
    except OperationalError:
        shown = ", ".join(str(value) if type(value) is int else "…" for value in ids)
        logger.exception("Could not queue %s(%s): the broker is unreachable.", task.name, shown)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_step_invitation(step_id: int) -> None:
    invitations.send_step_invitation(step_id=step_id)
