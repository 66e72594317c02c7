import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Greatest, Lower
from django.utils import timezone

from accounts.models import NO_ENROLLMENT, District, Reach, School
from config import rollups

MAX_MINUTES = 8 * 60


def active_enrollment(path: str = "") -> models.Q:
    """The one rule of an active enrollment (the teacher is on the coach's caseload now), as a filter on
    the enrollment at `path` ("" for the Enrollment itself; "enrollments" from a Teacher or coach).

    Active: not ended (`ends_on` empty) and its program not over (the program's last day is today or
    later). A program that ended takes its caseloads with it, and with them the coach's access to
    the records (accounts.scoping); a new school year is a new program with new enrollments.
    """
    prefix = f"{path}__" if path else ""
    return models.Q(**{f"{prefix}ends_on__isnull": True, f"{prefix}program__ends_on__gte": timezone.localdate()})


class EnrollmentQuerySet(models.QuerySet):
    def active(self) -> "EnrollmentQuerySet":
        return self.filter(active_enrollment())

    def end(self, day: datetime.date) -> int:
        """Take these enrollments off their caseloads on `day` (never before they started); returns how many.

        The one write that ends an enrollment, for the district admin's "end" and "move", the roster's leavers and
        the role, school and sign-in changes of accounts.services; it tells the read model (config.rollups), which
        counts who is on a caseload, in the caller's transaction.
        """
        ids = list(self.values_list("pk", flat=True))
        ended = self.model._default_manager.filter(pk__in=ids).update(
            ends_on=Greatest(models.F("starts_on"), models.Value(day, output_field=models.DateField()))
        )
        rollups.changed(enrollment_ids=ids)
        return ended


class LibraryQuerySet(models.QuerySet):
    def active(self) -> "LibraryQuerySet":
        """Strategies or tools still offered: not retired."""
        return self.filter(retired_at__isnull=True)

    def retired(self) -> "LibraryQuerySet":
        return self.filter(retired_at__isnull=False)


class ProgramQuerySet(models.QuerySet):
    def running(self, day: datetime.date) -> "ProgramQuerySet":
        """Programs whose school year includes `day`."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class GradeBand(models.TextChoices):
    ELEMENTARY = "elementary", "Elementary (K–5)"
    MIDDLE = "middle", "Middle (6–8)"
    HIGH = "high", "High (9–12)"
    ALL = "all", "All grades"


class ChallengeCategory(models.TextChoices):
    INSTRUCTIONAL = "instructional", "Instructional"
    PROFESSIONAL_GROWTH = "professional_growth", "Professional growth"


class ITUIndicator(models.TextChoices):
    STUDENT_AGENCY = "student_agency", "Student agency"
    COLLABORATION = "collaboration", "Collaboration"
    COMMUNICATION = "communication", "Communication"
    CREATIVITY = "creativity", "Creativity"
    CRITICAL_THINKING = "critical_thinking", "Critical thinking"
    SELECTING_TOOLS = "selecting_tools", "Selecting relevant tech tools"


class Program(models.Model):
    reach = Reach(district="district", school="schools")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    schools = models.ManyToManyField(School, blank=True, related_name="programs")
    coaches = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="programs")

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    """A district goal (no school) or a school goal, that a challenge can align to (standard 3B)."""

    reach = Reach(district="district", school="school")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="goals")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="goals")
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["school__name", "title"]
        # One goal of a wording (in any case) per school, and per district among its district goals: the services
        # refuse a second one in words (districts.services._clean_title); these settle two adds at the same moment.
        constraints = [
            models.UniqueConstraint(
                Lower("title"), "district", condition=models.Q(school=None), name="one_district_goal_of_a_title",
                violation_error_message="This is already a goal.",
            ),
            models.UniqueConstraint(
                Lower("title"), "school", name="one_school_goal_of_a_title",
                violation_error_message="This is already a goal.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.school or 'District'}: {self.title}"


class Teacher(models.Model):
    """A teacher being coached: a record, not a login."""

    reach = Reach(district="school__district", school="school")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="teachers")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    subject = models.CharField(max_length=100, blank=True)
    grade_band = models.CharField(max_length=20, choices=GradeBand.choices, blank=True)
    sourced_id = models.CharField("OneRoster sourcedId", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "sourced_id"], condition=~models.Q(sourced_id=""), name="unique_teacher_sourced_id"
            )
        ]
        # The caseloads page lists a program's teachers by name a page at a time: read in this order, the
        # first 50 are found without sorting every teacher of the district.
        indexes = [models.Index(fields=["name", "id"], name="teacher_by_name")]

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    """A teacher on a coach's caseload within a program."""

    reach = Reach(district="program__district", school="teacher__school", coach="coach", enrollment="pk")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrollments")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="enrollments")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    # Kept current by the services that log contact, so "not contacted in 14 days" is one query.
    last_contact_on = models.DateField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["teacher__name"]
        indexes = [
            models.Index(fields=["coach", "ends_on"]),
            # The coaches of a program, read from the index alone (dashboard.selectors.district_coaches).
            models.Index(fields=["program", "coach"], name="enrollment_program_coach"),
        ]
        # A teacher is on one caseload of a program at a time (a move ends one enrollment and starts another):
        # districts.services.caseload_assign refuses in words; this settles two assignments at the same moment.
        constraints = [
            models.UniqueConstraint(
                fields=["program", "teacher"], condition=models.Q(ends_on=None), name="one_caseload_per_program",
                violation_error_message="This teacher is already on a caseload in this program.",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.teacher} with {self.coach}"


class Tool(models.Model):
    reach = Reach(district="district")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="tools")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Strategy(models.Model):
    reach = Reach(district="district")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="strategies")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=ChallengeCategory.choices)
    itu_indicator = models.CharField("ITU indicator", max_length=30, choices=ITUIndicator.choices)
    subject = models.CharField(max_length=100, blank=True, help_text="Leave blank when it fits any subject.")
    grade_band = models.CharField(max_length=20, choices=GradeBand.choices, default=GradeBand.ALL)
    tools = models.ManyToManyField(Tool, blank=True, related_name="strategies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return self.title


class Challenge(models.Model):
    reach = Reach(
        district="enrollment__program__district",
        school="enrollment__teacher__school",
        coach="enrollment__coach",
        enrollment="enrollment",
    )

    class Status(models.TextChoices):
        # The five steps of the challenge-based coaching model, then closed.
        IDENTIFY = "identify", "1 · Identify"
        INVESTIGATE = "investigate", "2 · Investigate"
        SELECT = "select", "3 · Select"
        IMPLEMENT = "implement", "4 · Implement"
        REFLECT = "reflect", "5 · Reflect"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        MOVED_ON = "moved_on", "Moved on"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="challenges")
    problems = models.JSONField("problems of practice", default=list, blank=True)
    title = models.CharField("challenge", max_length=300, blank=True)
    # The focus statement needs a thing to improve, not a problem: "Towards the goal of improving <improvement>".
    improvement = models.CharField("what to improve", max_length=200, blank=True)
    category = models.CharField(max_length=30, choices=ChallengeCategory.choices, blank=True)
    root_cause_notes = models.TextField(blank=True)
    goal = models.ForeignKey(Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="challenges")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IDENTIFY)
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tools = models.ManyToManyField(Tool, blank=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    identify_standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")
    investigate_standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")
    select_standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")
    opened_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        # A teacher's challenges newest first from the index: the read model finds a teacher's latest cycle
        # (dashboard.services._latest_cycle) reading the newest challenge's cycles, not their whole history.
        indexes = [models.Index(fields=["enrollment", "opened_on", "id"])]
        constraints = [
            # One open challenge per teacher and coach at a time keeps "current step" meaningful.
            models.UniqueConstraint(
                fields=["enrollment"], condition=~models.Q(status="closed"), name="one_open_challenge"
            )
        ]

    def __str__(self) -> str:
        return self.title or "New challenge"

    def timeline(self) -> list[tuple[str, models.Model]]:
        """Cycles and reflections, newest first (uses prefetched rows)."""

        def cycle_day(cycle):
            starts = [step.starts_at.date() for step in cycle.steps.all()]
            return min(starts) if starts else cycle.completed_on or timezone.localdate()

        entries = [((cycle_day(c), 0, c.number), "cycle", c) for c in self.cycles.all()]
        entries += [((r.held_on, 1, r.pk), "reflection", r) for r in self.reflections.all()]
        return [(kind, obj) for _, kind, obj in sorted(entries, key=lambda e: e[0], reverse=True)]

    @property
    def current_cycle(self) -> "Cycle | None":
        """The latest cycle (from prefetched cycles when the page prefetched them)."""
        cycles = list(self.cycles.all())
        return cycles[-1] if cycles else None

    @property
    def focus_statement(self) -> str:
        """The model's focus statement (seed: "Select strategy and tool(s)"), with blanks until chosen.

        It names what the teacher wants to improve (a noun phrase), never the problem itself; challenges
        identified before Cadence asked for it fall back to their title.
        """
        tools = [tool.name for tool in self.tools.all()] if self.pk else []
        improving = self.improvement or self.title or "[what to improve]"
        return (
            f"Towards the goal of improving {improving}, "
            f"the teacher will attempt {self.strategy.title if self.strategy_id else '[strategy]'}. "
            f"The teacher will utilize {_join(tools) or '[tool(s)]'} to support this strategy."
        )


def _join(names: list[str]) -> str:
    """ "a", "a and b", "a, b, and c"."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


class StrategyCandidate(models.Model):
    reach = Reach(
        district="challenge__enrollment__program__district",
        school="challenge__enrollment__teacher__school",
        coach="challenge__enrollment__coach",
        enrollment="challenge__enrollment",
    )

    class Source(models.TextChoices):
        RESEARCH = "research", "Research"
        PLN = "pln", "PLN"
        COLLEAGUE = "colleague", "Colleague"
        OTHER = "other", "Other"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="candidates")
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.RESEARCH)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["challenge", "strategy"], name="unique_candidate")]

    def __str__(self) -> str:
        return f"{self.strategy} (candidate)"


class Cycle(models.Model):
    """One meet → visit → meet round of step 4."""

    reach = Reach(
        district="challenge__enrollment__program__district",
        school="challenge__enrollment__teacher__school",
        coach="challenge__enrollment__coach",
        enrollment="challenge__enrollment",
    )
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveSmallIntegerField()
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["challenge", "number"]
        constraints = [models.UniqueConstraint(fields=["challenge", "number"], name="unique_cycle_number")]

    def __str__(self) -> str:
        return f"Cycle {self.number}"

    @property
    def next_kind(self) -> "Step.Kind | None":
        """The next step of meet → visit → meet still to add (uses prefetched steps)."""
        kinds = {step.kind for step in self.steps.all()}
        return next((Step.Kind(kind) for kind in Step.ORDER if kind not in kinds), None)


class Step(models.Model):
    reach = Reach(
        district="cycle__challenge__enrollment__program__district",
        school="cycle__challenge__enrollment__teacher__school",
        coach="cycle__challenge__enrollment__coach",
        enrollment="cycle__challenge__enrollment",
    )

    class Kind(models.TextChoices):
        PLAN_MEETING = "plan_meeting", "Planning meeting"
        VISIT = "visit", "Classroom visit"
        DEBRIEF = "debrief", "Debrief meeting"

    class VisitMode(models.TextChoices):
        CO_TEACH = "co_teach", "Co-teach"
        MODEL = "model", "Model"
        OBSERVE = "observe", "Observe"

    ORDER = (Kind.PLAN_MEETING, Kind.VISIT, Kind.DEBRIEF)

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    done = models.BooleanField(default=False)
    visit_mode = models.CharField(max_length=20, choices=VisitMode.choices, blank=True)
    notes = models.TextField("confidential notes", blank=True)
    data_collected = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")
    invite_teacher = models.BooleanField(default=False)
    # The calendar SEQUENCE (RFC 5545) of the step's invitation: 0 when first sent, one more with every
    # change sent after it (a time, a length, the teacher invited), so calendars apply each in order.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "kind"], name="one_step_of_each_kind")]
        indexes = [models.Index(fields=["done", "starts_at"])]

    def __str__(self) -> str:
        return self.get_kind_display()


class Reflection(models.Model):
    reach = Reach(
        district="challenge__enrollment__program__district",
        school="challenge__enrollment__teacher__school",
        coach="challenge__enrollment__coach",
        enrollment="challenge__enrollment",
    )

    class Decision(models.TextChoices):
        RESOLVED = "resolved", "Resolved — close this challenge"
        ITERATE = "iterate", "Iterate — run another cycle"
        MOVE_ON = "move_on", "Move on — close it unresolved"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="reflections")
    held_on = models.DateField(default=timezone.localdate)
    minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    notes = models.TextField("what happened", blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"Reflection {self.held_on}: {self.get_decision_display()}"


class ITURating(models.Model):
    """Impactful technology use, rated at baseline, optionally mid-way, and at the end."""

    reach = Reach(
        district="enrollment__program__district",
        school="enrollment__teacher__school",
        coach="enrollment__coach",
        enrollment="enrollment",
    )

    class Phase(models.TextChoices):
        BASELINE = "baseline", "Baseline"
        MID = "mid", "Mid-point"
        END = "end", "End"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="itu_ratings")
    phase = models.CharField(max_length=20, choices=Phase.choices)
    rated_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["rated_on", "id"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "phase"], name="one_rating_per_phase")]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} ITU rating {self.rated_on}"


class ITUScore(models.Model):
    reach = Reach(
        district="rating__enrollment__program__district",
        school="rating__enrollment__teacher__school",
        coach="rating__enrollment__coach",
        enrollment="rating__enrollment",
    )
    FREQUENCY = [(1, "1 · Almost never"), (2, "2"), (3, "3"), (4, "4"), (5, "5 · Almost daily")]
    PROFICIENCY = [(1, "1 · Not at all"), (2, "2"), (3, "3"), (4, "4"), (5, "5 · To a very large extent")]

    rating = models.ForeignKey(ITURating, on_delete=models.CASCADE, related_name="scores")
    indicator = models.CharField(max_length=30, choices=ITUIndicator.choices)
    frequency = models.PositiveSmallIntegerField(
        choices=FREQUENCY, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    proficiency = models.PositiveSmallIntegerField(
        choices=PROFICIENCY, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rating", "indicator"], name="one_score_per_indicator")]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()}: {self.frequency}/{self.proficiency}"


class Activity(models.Model):
    """A coach's work beyond the 1:1 cycle, and informal touchpoints with a teacher."""

    # A touchpoint belongs to its enrollment; school-wide work (no enrollment) is the coach's own.
    reach = Reach(district="coach__membership__district", school="school", coach="coach", enrollment="enrollment")

    class Kind(models.TextChoices):
        TOUCHPOINT = "touchpoint", "Informal touchpoint"
        PRINCIPAL_MEETING = "principal_meeting", "Principal meeting"
        PLC = "plc", "PLC or staff meeting"
        PD = "pd", "Professional development attended"
        PLN = "pln", "PLN contribution"
        STORY = "story", "Story of impact shared"

    class Channel(models.TextChoices):
        HALLWAY = "hallway", "Hallway"
        EMAIL = "email", "E-mail"
        MESSAGE = "message", "Message or chat"
        PHONE = "phone", "Phone"

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, null=True, blank=True, related_name="touchpoints"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    held_on = models.DateField(default=timezone.localdate)
    minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    notes = models.TextField(blank=True)
    standards = models.ManyToManyField("standards.Standard", blank=True, related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class ImpactStory(models.Model):
    """A story of impact (3F). It reaches a principal or the district only with the teacher's consent."""

    reach = Reach(
        district="enrollment__program__district",
        school="enrollment__teacher__school",
        coach="coach",
        enrollment="enrollment",
        consent={"principal": "share_with_principal", "district": "share_with_district"},
    )
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="impact_stories")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="impact_stories")
    title = models.CharField(max_length=200)
    story = models.TextField()
    told_on = models.DateField(default=timezone.localdate)
    share_with_principal = models.BooleanField("the teacher agreed to share it with their principal", default=False)
    share_with_district = models.BooleanField("the teacher agreed to share it with the district", default=False)

    class Meta:
        ordering = ["-told_on", "-id"]
        verbose_name_plural = "impact stories"

    def __str__(self) -> str:
        return self.title


class CalendarEvent(models.Model):
    """What the coach's (and the teacher's) calendar holds of a scheduled step: one per step ever scheduled.

    Written in the same transaction as the step by coaching.invitations, and e-mailed from it by a task
    that is given only its id. It outlives its step (`step` becomes NULL when the step is deleted or the
    teacher erased), so the cancellation can still be built; once a cancellation of a deleted step has
    been sent the row is deleted, and nothing of the teacher stays.
    """

    reach = Reach(
        district="coach__membership__district", coach="coach", enrollment="step__cycle__challenge__enrollment"
    )
    uid = models.CharField("UID", max_length=255, unique=True)
    step = models.OneToOneField(Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="calendar_event")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField(default=0)
    sent_sequence = models.IntegerField(default=-1)  # the last SEQUENCE e-mailed; -1 before the first
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    summary = models.CharField(max_length=300)
    location = models.CharField(max_length=200, blank=True)
    # [{"email": ..., "name": ...}], the coach first: who is invited now, and who was and is owed a CANCEL.
    attendees = models.JSONField(default=list)
    uninvited = models.JSONField(default=list)
    cancelled = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")  # the district's, for the e-mail's words

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.summary} ({self.uid})"

    @property
    def unsent(self) -> bool:
        return self.sent_sequence < self.sequence


class CalendarFeed(models.Model):
    """A coach's calendar subscription: a secret URL that calendars poll (coaching.views.calendar_feed).

    The URL's token is an HMAC of the random `token_nonce` under SECRET_KEY (coaching.services.feed_token),
    so the coach's settings page can show the link again while a copy of the database alone opens nothing;
    the feed is found by the hash of the token it is given. A new link replaces the nonce: the old one is dead.
    """

    reach = Reach(district="coach__membership__district", coach="coach", enrollment=NO_ENROLLMENT)
    coach = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_nonce = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.coach}"
