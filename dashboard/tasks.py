from celery import shared_task

from dashboard import services


@shared_task
def build_export(export_id: int) -> None:
    # No autoretry: a failure is recorded on the export, and the admin can simply ask again.
    services.export_build(export_id=export_id)
