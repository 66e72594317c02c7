"""Thin Celery tasks of the dashboard: each takes ids and calls a service."""

from celery import shared_task

from config.jobs import JOB_TASK_OPTIONS, retrying
from dashboard import digests, services


@shared_task(**JOB_TASK_OPTIONS)
def build_export(self, export_id: int) -> None:
    with retrying(self, give_up=lambda reason: services.export_give_up(export_id=export_id, reason=reason)):
        services.export_build(export_id=export_id)


@shared_task
def sweep_exports() -> int:
    """Celery beat, every minute: fail exports stuck past their deadline (services.exports_sweep)."""
    return services.exports_sweep()


@shared_task
def send_due_digests() -> None:
    """Celery beat, every 15 minutes: send the digests that are due (dashboard.digests)."""
    digests.send_due_digests()


@shared_task
def rebuild_rollups() -> None:
    """Recompute the read model from every raw row (e.g. after a bulk load or a restore)."""
    services.rollup_rebuild()
