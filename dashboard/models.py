import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import NO_ENROLLMENT, District, Reach
from coaching.models import Activity
from standards.models import SelfAssessment


class DataExport(models.Model):
    """A file of the district's built by a Celery task: the zip of all its data (data-privacy agreements),
    or a dashboard's CSV too large to build in the request (dashboard.exports.is_large)."""

    reach = Reach(district="district")

    class Kind(models.TextChoices):
        ARCHIVE = "archive", "All district data (zip)"
        DISTRICT_CSV = "district_csv", "District dashboard (CSV)"

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        # A teacher was erased after it was built: its archive is deleted (it held them).
        WITHDRAWN = "withdrawn", "Withdrawn"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARCHIVE)
    # A dashboard CSV's filters as the request resolved them (dashboard.exports.filters_json).
    filters = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while a dashboard CSV is built
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Kept in the database so that any web process can serve what any worker built.
    content = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # times a worker started it (config.jobs.MAX_STARTS)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(status="pending"), name="pending_exports")]

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


# --- the read model: rollups kept current by the writing services (dashboard.services.rollup_refresh) ----
#
# Ids of the denormalised columns are plain integers: a rollup row is derived data, rebuilt from the
# raw rows at will, and must never block a write to them. A row vanishes with its enrollment (CASCADE),
# so erasing a teacher erases their rollups in the same statement.


class MonthFigures(models.Model):
    """A month's 1:1 coaching, summed: done steps of each kind (the plan meeting, the visit and the debrief
    of a cycle) and their minutes, reflections, informal touchpoints, cycles completed (their debrief done)
    and challenges closed as resolved. One enrollment's (EnrollmentMonth) or one school's (SchoolMonth)."""

    plan_meetings = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    debriefs = models.PositiveIntegerField(default=0)
    step_minutes = models.PositiveIntegerField(default=0)
    reflections = models.PositiveIntegerField(default=0)
    reflection_minutes = models.PositiveIntegerField(default=0)
    touchpoints = models.PositiveIntegerField(default=0)
    touchpoint_minutes = models.PositiveIntegerField(default=0)
    cycles_completed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    FIGURES = (
        "plan_meetings",
        "visits",
        "debriefs",
        "step_minutes",
        "reflections",
        "reflection_minutes",
        "touchpoints",
        "touchpoint_minutes",
        "cycles_completed",
        "resolved",
    )

    class Meta:
        abstract = True


class CoachWork(models.Model):
    """A coach's work in one month: of a teacher's caseload entry (touchpoints, tags of their steps and
    reflections), which the row goes with like Activity; or, with no enrollment, the coach's own
    (school-wide work), theirs while they coach."""

    reach = Reach(district="coach__membership__district", coach="coach", enrollment="enrollment", figures=True)

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    enrollment = models.ForeignKey(
        "coaching.Enrollment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    month = models.DateField()

    class Meta:
        abstract = True


class EnrollmentRollup(models.Model):
    """A level-1 rollup row: one enrollment's, with the program, coach, school and teacher it is counted under
    (copied, so that a dashboard groups by them without joining the enrollment)."""

    reach = Reach(
        district="enrollment__program__district",
        school="enrollment__teacher__school",
        coach="coach",
        enrollment="enrollment",
        figures=True,
    )

    enrollment = models.ForeignKey("coaching.Enrollment", on_delete=models.CASCADE, related_name="+")
    program_id = models.IntegerField()
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    school_id = models.IntegerField()
    teacher_id = models.IntegerField()

    class Meta:
        abstract = True


COACH_FIGURES = ["teacher_id", "step_minutes", "reflection_minutes", "touchpoint_minutes", "cycles_completed"]


class EnrollmentMonth(EnrollmentRollup, MonthFigures):
    """One enrollment's coaching in one calendar month (the first day of the month, server timezone)."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "month"], name="one_rollup_per_enrollment_month")]
        indexes = [
            models.Index(fields=["school_id", "month"]),
            # A page of coaches' rows (selectors.coach_rows) read from the index alone; a coach's months too.
            # (Key columns, not INCLUDE: SQLite, the embedded default, has no non-key columns.)
            models.Index(
                fields=["coach", "program_id", "month", *COACH_FIGURES], name="enrollment_month_coach_figures"
            ),
            models.Index(fields=["program_id", "month"]),
            models.Index(fields=["teacher_id"]),  # level 2: a teacher's months (dashboard.services._level_two)
        ]

    def __str__(self) -> str:
        return f"Enrollment {self.enrollment_id} in {self.month:%Y-%m}"


class EnrollmentITU(EnrollmentRollup):
    """One enrollment's ITU indicator at baseline and at the latest later rating (end, else mid)."""

    indicator = models.CharField(max_length=30)
    baseline_frequency = models.PositiveSmallIntegerField()
    baseline_proficiency = models.PositiveSmallIntegerField()
    latest_frequency = models.PositiveSmallIntegerField(null=True)
    latest_proficiency = models.PositiveSmallIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "indicator"], name="one_itu_rollup_per_indicator")]
        indexes = [models.Index(fields=["school_id"])]

    def __str__(self) -> str:
        return f"Enrollment {self.enrollment_id} {self.indicator}"


class EnrollmentCadence(models.Model):
    """The days between the steps of one enrollment's latest cycle (the newest, by its challenge's opening and
    its number, with a step done): planning meeting → visit, visit → debrief (each None until both of its steps
    are done; days between their local dates). A row only while one of the two is known: the coach's dashboard
    reads it with the caseload (`enrollment.cadence`), instead of finding each teacher's latest cycle."""

    reach = Reach(
        district="enrollment__program__district",
        school="enrollment__teacher__school",
        coach="enrollment__coach",
        enrollment="enrollment",
    )

    enrollment = models.OneToOneField(
        "coaching.Enrollment", on_delete=models.CASCADE, primary_key=True, related_name="cadence"
    )
    plan_to_visit = models.IntegerField(null=True)
    visit_to_debrief = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"Enrollment {self.enrollment_id} cadence"


class CoachMonth(CoachWork):
    """A coach's logged activities of one kind at one school (or none) in one month: count and minutes."""

    kind = models.CharField(max_length=30)
    school_id = models.IntegerField(null=True)
    count = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["coach", "month"])]

    def __str__(self) -> str:
        return f"Coach {self.coach_id} {self.kind} in {self.month:%Y-%m}"


class CoachStandardMonth(CoachWork):
    """How often a coach's work in a month was tagged with a standard (done steps, reflections, activities,
    a challenge's first three steps)."""

    standard = models.ForeignKey("standards.Standard", on_delete=models.CASCADE, related_name="+")
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        # Covering the district dashboard's standards per coach and the coach's own coverage (which filters on the
        # enrollment and sums the uses): index-only scans, not a heap read per row (key columns: SQLite has no
        # INCLUDE).
        indexes = [models.Index(fields=["coach", "month", "standard", "enrollment", "uses"])]

    def __str__(self) -> str:
        return f"Coach {self.coach_id} {self.standard_id} in {self.month:%Y-%m}"


class CoachStandardYear(models.Model):
    """In which months of a calendar year a coach's tagged work in a program (`program_id`; None: their school-wide
    work, which belongs to no program) exercised a standard: bit m-1 of `months` is month m (January: 1), from their
    CoachStandardMonth rows. The district's coaches page counts the standards each coach exercised over any months
    from a few dozen rows per coach (dashboard.selectors.coach_rows), whatever the number of steps."""

    # A district figure, as SchoolMonth is: read for the district admin's per-coach table only, never as a coach's
    # records (the coach's own coverage is read from CoachStandardMonth, whose rows name their enrollment).
    reach = Reach(district="coach__membership__district")

    coach = models.ForeignKey(  # indexed first in the index below
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    program_id = models.IntegerField(null=True)
    standard = models.ForeignKey("standards.Standard", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    months = models.PositiveIntegerField(default=0)

    class Meta:
        # A page of coaches' standards read from the index alone (key columns: SQLite has no INCLUDE).
        indexes = [models.Index(fields=["coach", "year", "program_id", "standard", "months"])]

    def __str__(self) -> str:
        return f"Coach {self.coach_id} {self.standard_id} in {self.year} (program {self.program_id})"


class CoachSelfAssessment(SelfAssessment):
    """A coach's self-assessment as scoping sees it: `standards` (the bottom layer) cannot name a Reach,
    so this proxy says how its rows reach the coach, the district, and the district admin's audience."""

    reach = Reach(
        district="coach__membership__district",
        coach="coach",
        enrollment=NO_ENROLLMENT,  # the coach's own, no teacher's
        consent={"district": "shared_with_district"},
    )

    class Meta:
        proxy = True

    @property
    def same_day(self) -> str:
        """ " (2)" after the date of the second of a coach's self-assessments of one day ("" when it is the only one):
        `number` and `of_day` come from dashboard.selectors.numbered."""
        return f" ({self.number})" if getattr(self, "of_day", 1) > 1 else ""


# --- level 2 of the read model: per school, kept by the same refresh from the rows above ----------------
#
# District-wide figures add up a few rows per school instead of every enrollment's. Each row is of one
# program. A teacher belongs to one school, so distinct-teacher counts add up across schools exactly;
# across months they do not (hence TeacherYear's month masks), nor across programs that share a teacher
# (dashboard.selectors.level_two then falls back to the rows above).


class SchoolWideMonth(models.Model):
    """One school's school-wide work (KINDS: principal meetings, PLCs, stories) in one month, by all its coaches:
    the sums of its CoachMonth rows of those kinds. The schools page reads a row per school and month
    (dashboard.selectors._school_wide), not one per coach, kind and month."""

    KINDS = (Activity.Kind.PRINCIPAL_MEETING, Activity.Kind.PLC, Activity.Kind.STORY)

    reach = Reach(district="school__district", school="school")

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    count = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "month"], name="one_school_wide_month")]

    def __str__(self) -> str:
        return f"School {self.school_id}'s school-wide work in {self.month:%Y-%m}"


class SchoolMonth(MonthFigures):
    """One school's 1:1 coaching in one month: the sums of its EnrollmentMonth rows, and `coached`, the
    distinct teachers with 1:1 coaching minutes that month."""

    reach = Reach(district="school__district", school="school")

    program_id = models.IntegerField()
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    coached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program_id", "school", "month"], name="one_school_month_per_program")
        ]
        indexes = [models.Index(fields=["program_id", "month"])]

    def __str__(self) -> str:
        return f"School {self.school_id} in {self.month:%Y-%m} (program {self.program_id})"


class TeacherYear(models.Model):
    """In which months of a calendar year a teacher had each kind of 1:1 coaching: bit m-1 of a mask is
    month m (January: 1). Counting the teachers behind a figure over any range of months reads one or two
    rows per teacher, whatever the number of steps."""

    MASKS = ("coached", "plan_meetings", "visits", "debriefs", "cycles_completed", "resolved")

    reach = Reach(district="school__district", school="school")

    program_id = models.IntegerField()
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    # Erasing the teacher erases their rows (CASCADE), in the same statement as their enrollments'.
    teacher = models.ForeignKey("coaching.Teacher", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    coached = models.PositiveIntegerField(default=0)
    plan_meetings = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    debriefs = models.PositiveIntegerField(default=0)
    cycles_completed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program_id", "teacher", "year"], name="one_teacher_year_per_program")
        ]
        indexes = [models.Index(fields=["program_id", "school", "year"])]

    def __str__(self) -> str:
        return f"Teacher {self.teacher_id} in {self.year} (program {self.program_id})"


class ProgramTeacher(models.Model):
    """A teacher enrolled in a program (ended enrollments included), their school, whether they are on one of its
    caseloads now (an enrollment not ended) and the latest coaching contact of those enrollments: the schools page
    counts its participation from these rows, one per teacher, instead of every enrollment joined with its teacher
    (dashboard.selectors._participation). Whether the program itself is over is read with the program."""

    reach = Reach(district="school__district", school="school")

    program_id = models.IntegerField()
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    # Erasing the teacher erases their rows (CASCADE), in the same statement as their enrollments'.
    teacher = models.ForeignKey("coaching.Teacher", on_delete=models.CASCADE, related_name="+")
    on_caseload = models.BooleanField(default=False)
    last_contact_on = models.DateField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program_id", "teacher"], name="one_program_teacher")]
        # A page of schools' participation read from the index alone (key columns: SQLite has no INCLUDE).
        indexes = [models.Index(fields=["program_id", "school", "on_caseload", "last_contact_on"])]

    def __str__(self) -> str:
        return f"Teacher {self.teacher_id} in program {self.program_id}"


class ChallengeCount(models.Model):
    """A teacher's challenges in a program (ended enrollments included), per category, status and goal, under the
    teacher's school: the school page counts challenges by category and by goal from these rows, a few per teacher
    whatever the number of challenges (dashboard.selectors.school_roster), beside the teacher's ProgramTeacher row."""

    reach = Reach(district="school__district", school="school")

    program_id = models.IntegerField()
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    # Erasing the teacher erases their rows (CASCADE), in the same statement as their challenges'.
    teacher = models.ForeignKey("coaching.Teacher", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=30, blank=True)  # "": not chosen yet (still identifying)
    status = models.CharField(max_length=20)
    goal_id = models.IntegerField(null=True)  # a goal challenges are aligned to cannot be removed
    challenges = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.challenges} challenges of teacher {self.teacher_id} in program {self.program_id}"


class AnyBit(models.Lookup):
    """`mask__anybit=bits`: the month mask has a month of `bits` (what `selectors.Period.within` asks of every
    TeacherYear and CoachStandardYear mask; a lookup compiles in a third of the time of `F(mask).bitand(bits) > 0`)."""

    lookup_name = "anybit"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) > 0", (*lhs_params, *rhs_params)


for _model, _masks in ((TeacherYear, TeacherYear.MASKS), (CoachStandardYear, ("months",))):
    for _mask in _masks:
        _model._meta.get_field(_mask).register_lookup(AnyBit)


class SchoolITU(models.Model):
    """One school's ITU per indicator over the enrollments rated at baseline and again later: the distinct
    `teachers`, the `ratings` (enrollment rows) and the sums of their ratings, so averages are sums ÷ ratings.

    The row with `indicator` HEADLINE is the headline: `teachers` rated twice and how many of them `rose`
    (the sum of their ratings went up from baseline to latest)."""

    HEADLINE = ""

    reach = Reach(district="school__district", school="school")

    program_id = models.IntegerField()
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(max_length=30, blank=True)
    teachers = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rose = models.PositiveIntegerField(default=0)
    baseline_frequency = models.PositiveIntegerField(default=0)
    latest_frequency = models.PositiveIntegerField(default=0)
    baseline_proficiency = models.PositiveIntegerField(default=0)
    latest_proficiency = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program_id", "school", "indicator"], name="one_school_itu_per_program")
        ]

    def __str__(self) -> str:
        return f"School {self.school_id} {self.indicator or 'headline'} (program {self.program_id})"
