from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import District, Reach


class DataExport(models.Model):
    """A zip of CSV files with all of a district's data, built by a Celery task (data-privacy agreements)."""

    reach = Reach(district="district")

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Kept in the database so that any web process can serve what any worker built.
    content = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export of {self.district} {self.created_at:%Y-%m-%d}"
