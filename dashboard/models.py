import datetime

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
        # A teacher was erased after it was built: its archive is deleted (it held them).
        WITHDRAWN = "withdrawn", "Withdrawn"

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


class DigestSetting(models.Model):
    """When a person gets their digest e-mail (dashboard.digests): a coach's morning e-mail every day,
    a principal's summary once a week. Without a row, the defaults below apply (on, 07:00, Monday)."""

    reach = Reach(district="user__membership__district")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_setting")
    enabled = models.BooleanField("send me the digest", default=True)
    send_at = models.TimeField("time", default=datetime.time(7, 0), help_text="In your district's time zone.")
    weekday = models.PositiveSmallIntegerField("day", choices=Weekday.choices, default=Weekday.MONDAY)
    # The local date of the last digest sent: a re-run of the periodic task never sends twice.
    last_sent_on = models.DateField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Digest of {self.user}"
