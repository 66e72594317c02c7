"""Thin Celery tasks of the district's workplace: each takes ids and calls a service."""

from celery import shared_task

from config.jobs import JOB_TASK_OPTIONS, retrying
from districts.roster import services as roster


@shared_task(**JOB_TASK_OPTIONS)
def import_roster(self, import_id: int) -> None:
    with retrying(self, give_up=lambda reason: roster.import_give_up(import_id=import_id, reason=reason)):
        roster.import_execute(import_id=import_id)


@shared_task
def sweep_imports() -> int:
    return roster.imports_sweep()
