"""Periodic tasks of the bottom layer, scheduled by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

import datetime

from celery import shared_task
from django.utils import timezone

from config import health
from config.celery import relay_due
from config.models import Submission


@shared_task
def relay_outbox() -> int:
    """Send what the broker missed: every task still in the outbox."""
    return relay_due()


@shared_task
def heartbeat() -> None:
    """Proof for /healthz that beat, the broker and a worker all work: the time this ran."""
    health.worker_beat()


@shared_task
def forget_submissions() -> int:
    """Forget create forms' submission keys older than a day: a form sent again after that is a new one."""
    cutoff = timezone.now() - datetime.timedelta(days=1)
    return Submission.objects.filter(created_at__lt=cutoff).delete()[0]
