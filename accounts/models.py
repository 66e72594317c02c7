import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value} is not a known time zone.")


class District(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="America/Chicago", validators=[validate_timezone])
    # Aggregates over fewer teachers than this are shown as "fewer than k".
    suppression_k = models.PositiveSmallIntegerField(default=5)

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="schools")
    name = models.CharField(max_length=200)
    sourced_id = models.CharField("OneRoster sourcedId", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "sourced_id"],
                condition=~models.Q(sourced_id=""),
                name="unique_school_sourced_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    COACH = "coach", "Coach"
    PRINCIPAL = "principal", "Principal"
    DISTRICT_ADMIN = "district_admin", "District admin"


class Membership(models.Model):
    """What a user is in a district. One district per user keeps every scope unambiguous."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    schools = models.ManyToManyField(School, blank=True, related_name="memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.district}"

    @property
    def is_coach(self) -> bool:
        return self.role == Role.COACH

    @property
    def is_principal(self) -> bool:
        return self.role == Role.PRINCIPAL

    @property
    def is_district_admin(self) -> bool:
        return self.role == Role.DISTRICT_ADMIN
