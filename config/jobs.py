"""What every long job (a roster import, a data export) shares so that it always ends.

- Its Celery task is acknowledged late and rejected back to the queue when its worker process dies
  (JOB_TASK_OPTIONS), so a killed worker's job is delivered again.
- A transient error — the database or the broker unreachable for a moment — is retried with
  backoff (`retrying`); when the retries run out the job is failed with a reason.
- One worker at a time runs a job: it holds a PostgreSQL advisory lock on it (`job_lock`) for as
  long as it runs. A duplicate delivery finds the lock taken and leaves; a worker that dies loses
  its connection and with it the lock, so the redelivered task (or the sweeper) can take over.
- A sweeper (beat) fails any job still unfinished past its deadline that nobody holds (`JOB_DEADLINE`).
"""

import contextlib
import logging
import random
import zlib
from collections.abc import Callable, Iterator

from celery import Task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Errors worth trying again: the connection to PostgreSQL or to the broker was lost or refused.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)
MAX_RETRIES = 6  # backoff 2, 4, 8, 16, 32, 64 s: about two minutes of outage ridden out
BACKOFF_MAX = 120
# A job started this many times without finishing (its worker killed each time, e.g. out of memory)
# is failed rather than delivered again for ever.
MAX_STARTS = 5

JOB_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
}


def job_deadline_seconds() -> int:
    """How long a job may stay unfinished before the sweeper fails it (settings.JOB_DEADLINE_SECONDS)."""
    return settings.JOB_DEADLINE_SECONDS


def backoff(retries: int) -> float:
    """Seconds before retry number `retries + 1`: doubling from 2 s up to BACKOFF_MAX, with jitter so that
    the jobs a blip interrupted do not all come back at the same instant."""
    return min(2 ** (retries + 1), BACKOFF_MAX) * random.uniform(0.8, 1.0)  # noqa: S311 - not cryptographic


@contextlib.contextmanager
def retrying(task: Task, *, give_up: Callable[[str], object]) -> Iterator[None]:
    """Retry `task` with backoff when the block raises a transient error; after MAX_RETRIES call `give_up(reason)`.

    `give_up` records the failure on the job. If the database is still down it cannot: the sweeper
    fails the job once the database is back and the deadline has passed.
    """
    try:
        yield
    except TRANSIENT_ERRORS as error:
        if task.request.retries < task.max_retries:
            logger.warning("%s: %s; retry %d soon.", task.name, type(error).__name__, task.request.retries + 1)
            raise task.retry(exc=error, countdown=backoff(task.request.retries)) from error
        reason = (
            f"the database or the task queue stayed unreachable ({type(error).__name__}, {task.max_retries} retries)"
        )
        logger.error("%s gave up: %s", task.name, reason)
        with contextlib.suppress(*TRANSIENT_ERRORS):
            give_up(reason)


def _lock_key(kind: str, pk: int) -> tuple[int, int]:
    return zlib.crc32(kind.encode()) & 0x7FFFFFFF, pk & 0x7FFFFFFF


@contextlib.contextmanager
def job_lock(kind: str, pk: int) -> Iterator[bool]:
    """Try to hold the job (`kind`, `pk`) for the block; yields whether this process holds it.

    A PostgreSQL session advisory lock: it lasts across the job's transactions and disappears with
    the connection when a worker dies. Never waits. Elsewhere than PostgreSQL (SQLite, one process,
    tasks run eagerly) there is no one to share with: always held.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_key(kind, pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            # The connection may be gone (a database restart): then so is the lock.
            with contextlib.suppress(DatabaseError, InterfaceError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
