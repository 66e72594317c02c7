"""The Celery app (settings under CELERY_*, the beat schedule in settings), and how the web side queues a task:
the transactional outbox.

Why an outbox: a request must neither wait on the broker nor lose what it promised (an invitation
e-mail, an import) while Redis is down. `enqueue` inserts an OutboxMessage (config.models) in the
caller's transaction, so the task exists exactly when the write does. After the commit a background
thread of this process hands it to the broker (`relay`); when that fails the row stays, and the
periodic relay (`config.tasks.relay_outbox`, run by Celery beat) sends it once the broker is back.

Relays lock the rows they send with SELECT … FOR UPDATE SKIP LOCKED and delete them in the same
transaction, so two relays (two web processes, a web process and beat) never send one row twice.
Delivery is still at least once — a relay that dies between publishing and committing leaves its
rows to be sent again — so every task is idempotent.

With Celery eager (no REDIS_URL: the embedded default and the tests) the relay runs each task
in-process right after the commit instead.

The models are imported inside the functions: this module is imported with the settings, before
Django's apps are ready.
"""

import atexit
import contextlib
import importlib
import logging
import os
import threading
import time
from collections.abc import Iterable

from celery import Celery
from django.db import connections, transaction
from django.db.models import F
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cadence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

BATCH = 100  # rows per relay transaction
CONNECT_SECONDS = 2  # to reach the broker; sending then waits at most its socket_timeout
MAX_BATCHES = 50  # per periodic run, so one run ends even if rows keep arriving


def task(task_name: str):
    """The Celery task registered as `task_name`, importing its module first.

    A web process imports no task module by itself (services queue tasks by name, so that a service
    never imports the module that imports it back). KeyError for a name no module registers.
    """
    module, _ = task_name.rsplit(".", 1)
    importlib.import_module(module)
    return app.tasks[task_name]


def enqueue(task_name: str, *args: int) -> None:
    """Queue the task registered as `task_name` (e.g. "coaching.tasks.send_step_invitation") with ids.

    Call it inside the transaction of the write that causes the task, never in an on_commit
    callback: the task is recorded in that transaction (an OutboxMessage) and relayed to the broker
    once it commits, without the request waiting on the broker; rolled back with it, the task never
    runs. Outside a transaction the row commits, and is relayed, at once. By name, so that a service
    never imports the task module that imports it back.

    `args` are ids, never secrets: anything but an int is a TypeError (the outbox table is in every
    backup). An unknown task name is a KeyError, in the writer's transaction, so a typo cannot lose a
    task silently.
    """
    from config.models import OutboxMessage

    if any(type(arg) is not int for arg in args):
        raise TypeError(f"Queue ids only: {task_name} was given {[type(arg).__name__ for arg in args]}.")
    task(task_name)
    message = OutboxMessage.objects.create(task_name=task_name, args=list(args))
    transaction.on_commit(lambda: _committed(message.pk))


def _committed(pk: int) -> None:
    if app.conf.task_always_eager:
        relay(ids=[pk])  # runs the task here and now, as Celery eager always has
    else:
        relayer.submit(pk)  # the request returns without waiting on the broker


def relay(*, ids: Iterable[int] | None = None, limit: int = BATCH) -> int:
    """Hand unsent rows (`ids`, or the oldest `limit`) to the broker and delete them; returns how many.

    Rows another relay holds are skipped, not waited for. A broker error stops the batch and leaves
    the rest for the next relay; any other error is recorded on its row (attempts, last_error, shown
    in the Django admin) and the batch goes on. With Celery eager the tasks run after the commit.
    """
    from config.models import OutboxMessage

    eager = app.conf.task_always_eager
    with transaction.atomic(), contextlib.ExitStack() as stack:
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).order_by("pk")
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        sent, broker = [], None
        for row in rows[:limit]:
            if not eager:
                try:
                    broker = broker or stack.enter_context(_broker_connection())
                    task(row.task_name).apply_async(args=row.args, connection=broker)
                except BrokerError as error:
                    _failed(row, error)
                    logger.warning("The broker is unreachable: %s waits in the outbox for the next relay.", row)
                    break
                except Exception as error:
                    _failed(row, error)
                    logger.exception("Could not queue %s; it stays in the outbox.", row)
                    continue
            sent.append(row)
        OutboxMessage.objects.filter(pk__in=[row.pk for row in sent]).delete()
    if eager:
        for row in sent:
            task(row.task_name).apply_async(args=row.args)
    return len(sent)


@contextlib.contextmanager
def _broker_connection():
    """A connection to the broker that fails at once when it is down, rather than retrying for
    broker_connection_timeout as Celery's pooled connections do (the row waits for the next relay)."""
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CONNECT_SECONDS)
        yield broker


def _failed(row, error: Exception) -> None:
    from config.models import OutboxMessage

    last_error = f"{type(error).__name__}: {error}"[:500]
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=last_error)


def relay_due() -> int:
    """Everything still in the outbox, batch after batch (the periodic relay); returns how many were sent."""
    total = 0
    for _ in range(MAX_BATCHES):
        sent = relay()
        total += sent
        if sent < BATCH:
            break
    return total


class Relayer:
    """One background thread per process that relays rows right after their transaction commits.

    The thread uses its own database connection, closed after each batch. Rows it could not send stay
    in the outbox for the periodic relay, so losing the thread (the process exits) loses nothing.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts with no thread and no lock held

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._pending: set[int] = set()
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, pk: int) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
                self._thread.start()
            self._pending.add(pk)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                ids, self._pending, self._busy = self._pending, set(), True
            try:
                relay(ids=ids)
            except Exception:
                logger.exception("The outbox relay failed; the periodic relay will send these tasks.")
            finally:
                connections.close_all()
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until every submitted row was tried; False when time ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True


relayer = Relayer()
# A process that exits (a gunicorn worker restarted, a deploy) gives its last relays a moment.
atexit.register(relayer.drain, 2.0)
