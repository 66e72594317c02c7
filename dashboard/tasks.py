from celery import shared_task

from dashboard import digests, services


@shared_task
def build_export(export_id: int) -> None:
    # No autoretry: a failure is recorded on the export, and the admin can simply ask again.
    services.export_build(export_id=export_id)


@shared_task
def send_due_digests() -> None:
    """Celery beat, every 15 minutes: send the digests that are due (dashboard.digests)."""
    digests.send_due_digests()


@shared_task
def rebuild_rollups() -> None:
    """Recompute the read model from every raw row (e.g. after a bulk load or a restore)."""
    services.rollup_rebuild()
