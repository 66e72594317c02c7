import hashlib
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

NO_ENROLLMENT = "-"  # Reach.enrollment of a coach's own row that belongs to no teacher's caseload entry


@dataclass(frozen=True)
class Reach:
    """How a model's rows reach what visibility is decided by, as ORM paths (see accounts.scoping).

    district: the District the row belongs to; school: its School ("" when none); coach: the coach
    whose confidential work it is ("" when not confidential); enrollment: the caseload entry (the
    teacher on that coach's caseload) the confidential row belongs to, "pk" on the caseload entry's
    own model — a row whose enrollment is empty (a school-wide activity) is the coach's own work;
    consent: for stories, the boolean field that records the teacher's consent for each audience
    ("principal", "district"); figures: the rows are sums of a coach's work (a rollup of the read model),
    never a record of it, so the coach keeps them after the enrollment ends (scoping.coach_figures).

    A confidential row that is the coach's own and no teacher's (a calendar feed) says so with
    `enrollment=NO_ENROLLMENT`, so that forgetting the path on a teacher's record is never read as that.

    The caseload entry's model (the one whose enrollment is "pk") has a queryset with `active()`
    (the entries on a caseload today) and `end(day)` (take them off it), which scoping and the
    services of accounts use without importing the app that defines it.
    """

    district: str
    school: str = ""
    coach: str = ""
    enrollment: str = ""
    consent: dict[str, str] = field(default_factory=dict)
    figures: bool = False


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
    reach = Reach(district="district", school="pk")

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
    reach = Reach(district="membership__district")

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
        # People are listed in this order (a program's coaches a page at a time on the caseloads page): read in
        # it, a page does not sort everyone.
        indexes = [models.Index(fields=["full_name", "email"], name="user_by_name")]

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

    reach = Reach(district="district")
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


class AuditEvent(models.Model):
    """Who did what to whose data: exports, erasures, role changes, invitations, imports."""

    reach = Reach(district="district")

    class Action(models.TextChoices):
        EXPORT = "export", "Data export"
        ERASE = "erase", "Teacher erased"
        ROLE_CHANGE = "role_change", "Role changed"
        DEACTIVATE = "deactivate", "User deactivated"
        REACTIVATE = "reactivate", "User reactivated"
        INVITE = "invite", "Invitation sent"
        IMPORT = "import", "Roster import"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}: {self.summary}"


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which an invitation token is stored (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time, expiring link that lets a person set a password and join a district."""

    reach = Reach(district="district")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    schools = models.ManyToManyField(School, blank=True, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The link's token is an HMAC of this random nonce under SECRET_KEY (services.invitation_token): a
    # worker rebuilds the link from the invitation's id, so the token never travels through the broker,
    # and a copy of the database alone opens no invitation. A new nonce per link: resending kills the old.
    token_nonce = models.CharField(max_length=64, blank=True, editable=False)
    # The accept page finds the invitation by the hash of the token it is given.
    token_hash = models.CharField(max_length=64, unique=True)
    # The address the admin sent it from (e.g. http://127.0.0.1:8101): the e-mailed link starts there
    # unless settings.SITE_URL is set, so a development server on any port sends links that work.
    site_url = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"


class RosterImport(models.Model):
    """An uploaded roster, imported by a Celery task all-or-nothing, with its progress and errors."""

    reach = Reach(district="district")

    class Kind(models.TextChoices):
        ONEROSTER = "oneroster", "OneRoster 1.1 CSV"
        TEACHERS_CSV = "teachers_csv", "teachers.csv"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Rejected"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    # The upload itself (a zip of the roster files), so any worker process can read it.
    payload = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    counts = models.JSONField(default=dict, blank=True)  # e.g. {"schools_created": 2, "teachers_updated": 40}
    errors = models.JSONField(default=list, blank=True)  # [{"file": "users.csv", "row": 12, "message": "…"}]
    # Changes the import made and went on with (control characters in a name became spaces), like errors.
    warnings = models.JSONField(default=list, blank=True)
    # Failed for a reason other than the files (a crash, a lost worker, the database): the same upload
    # can simply run again.
    interrupted = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)  # times a worker started it (config.jobs.MAX_STARTS)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(finished_at__isnull=True), name="unfinished_imports")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"
