"""The bottom layer's tables: what must survive a process or a broker going away."""

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to queue, written in the same transaction as the write that causes it (config.celery.enqueue).

    A row exists from that commit until a relay has handed the task to the broker; then it is deleted.
    Its arguments are ids only, never secrets: the table is in every backup.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)  # failed hand-overs to the broker
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
