"""Periodic tasks of the bottom layer, scheduled by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from config import health
from config.celery import relay_due


@shared_task
def relay_outbox() -> int:
    """Send what the broker missed: every task still in the outbox."""
    return relay_due()


@shared_task
def heartbeat() -> None:
    """Proof for /healthz that beat, the broker and a worker all work: the time this ran."""
    health.worker_beat()
