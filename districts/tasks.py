"""Thin Celery tasks of the district's workplace: each takes ids and calls a service."""

from celery import shared_task

from districts.roster import services as roster


@shared_task
def import_roster(import_id: int) -> None:
    roster.import_execute(import_id=import_id)
