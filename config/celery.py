"""The Celery app (settings under CELERY_*), and how the web side queues a task."""

import importlib
import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cadence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def enqueue(task_name: str, *args: int) -> None:
    """Queue the task registered as `task_name` (e.g. "coaching.tasks.send_step_invitation") with ids.

    By name, so that a service never imports the task module that imports it back. A broker outage
    does not fail the request whose write already committed: it is logged (the task name and its ids;
    anything that is not an int shows as "…", so a secret passed by mistake never reaches a log) and the
    caller carries on.
    """
    module, _ = task_name.rsplit(".", 1)
    importlib.import_module(module)  # registers the task in a web process, where nothing else imports it
    try:
        app.tasks[task_name].delay(*args)
    except OperationalError:
        shown = ", ".join(str(value) if type(value) is int else "…" for value in args)
        logger.exception("Could not queue %s(%s): the broker is unreachable.", task_name, shown)
