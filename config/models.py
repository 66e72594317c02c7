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


class Submission(models.Model):
    """A create form's submission key, stored in the transaction of the write it made (config.forms.run_once).

    Each render of a create form carries a fresh key. The first submit that stores it saves; a second
    submit of the same render (a double tap, a resend after a dropped connection) finds it — waiting
    on the unique index while the first is still in flight — and lands where the first did. Keys are
    forgotten after a day (config.tasks.forget_submissions).
    """

    user_id = models.BigIntegerField()  # not a foreign key: the bottom layer knows no app above it
    key = models.UUIDField()
    landed_at = models.CharField(max_length=500, blank=True)  # where the first submit redirected
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "key"], name="one_submission_per_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.landed_at}"
