"""Reads for the coach's pages. Each starts from accounts.scoping; query counts do not grow with data."""

import datetime
from dataclasses import dataclass, replace

from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from accounts import scoping
from accounts.models import District, Role, User, token_hash
from coaching.models import (
    Activity,
    CalendarFeed,
    Challenge,
    ChallengeCategory,
    Cycle,
    Enrollment,
    GradeBand,
    ImpactStory,
    ITUIndicator,
    ITURating,
    Step,
    Strategy,
)
from coaching.moves import Move, challenge_moves, cycle_moves, step_log_move, step_suggestion

STALE_VISIT_DAYS = 7
CONTACT_DAYS = 14  # the model's cadence: contact every ~2 weeks
CASELOAD_WARNING = 16  # caseloads of ~10 are recommended; 16+ is a warning sign


# --- the coach's own records (accounts.scoping decides whose) ----------------------------------------


def coach_enrollments(user: User) -> QuerySet[Enrollment]:
    """The enrollments whose records this coach may open: their active ones (accounts.scoping's rule)."""
    return scoping.coach_records(user, Enrollment)


def caseload(user: User) -> QuerySet[Enrollment]:
    """The coach's current caseload: active enrollments only (an ended one is closed to them too)."""
    return coach_enrollments(user)


def coach_challenges(user: User) -> QuerySet[Challenge]:
    return scoping.coach_records(user, Challenge)


def coach_steps(user: User) -> QuerySet[Step]:
    return scoping.coach_records(user, Step)


def coach_activities(user: User) -> QuerySet[Activity]:
    return scoping.coach_records(user, Activity)


def coach_stories(user: User) -> QuerySet[ImpactStory]:
    """A coach's own stories of teachers on their caseload now; no one else's."""
    return scoping.coach_records(user, ImpactStory).select_related("enrollment__teacher")


def challenge(user: User, challenge_id: int) -> Challenge:
    """One of the coach's challenges (with its teacher), or the refusal accounts.scoping gives."""
    qs = coach_challenges(user).select_related("enrollment__teacher__school", "enrollment__program")
    return scoping.get_confidential(user, qs, pk=challenge_id)


def teacher_enrollment(user: User, teacher_id: int) -> Enrollment:
    """The coach's most recent enrollment of this teacher (a teacher page is per coach)."""
    qs = coach_enrollments(user).select_related("teacher__school", "program").order_by("-starts_on", "-id")
    return scoping.get_confidential(user, qs, teacher_id=teacher_id)


def step(user: User, step_id: int) -> Step:
    qs = coach_steps(user).select_related(
        "cycle__challenge__enrollment__teacher", "cycle__challenge__enrollment__program"
    )
    return scoping.get_confidential(user, qs, pk=step_id)


def story(user: User, story_id: int) -> ImpactStory:
    return scoping.get_confidential(user, coach_stories(user), pk=story_id)


def caseload_rows(user: User) -> list[Enrollment]:
    """The caseload, each enrollment annotated with its open challenge's status and title, and with
    `next_move`: what to do next with that teacher (coaching.moves), in a constant number of queries."""
    open_challenge = Challenge.objects.filter(enrollment=OuterRef("pk")).exclude(status=Challenge.Status.CLOSED)
    cycles = Cycle.objects.prefetch_related("steps")
    rows = list(
        caseload(user)
        .select_related("teacher__school")
        .annotate(
            challenge_id=Subquery(open_challenge.values("pk")[:1]),
            challenge_status=Subquery(open_challenge.values("status")[:1]),
            challenge_title=Subquery(open_challenge.values("title")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "challenges",
                queryset=Challenge.objects.exclude(status=Challenge.Status.CLOSED).prefetch_related(
                    Prefetch("cycles", queryset=cycles)
                ),
                to_attr="open_challenges",
            )
        )
        .order_by("teacher__name")
    )
    for row in rows:
        current = row.open_challenges[0] if row.open_challenges else None
        moves = challenge_moves(current) if current else []
        row.next_move = moves[0] if moves else Move("new_challenge", "Start a new challenge", row.teacher_id)
    return rows


@dataclass
class CoachHome:
    today: list[Step]
    this_week: list[Step]
    overdue: list[Step]
    stale_visits: list[Step]
    not_contacted: list[Enrollment]
    ready_to_reflect: list[Challenge]
    caseload_size: int
    greeting: str = "Hello"


def greeting(moment: datetime.datetime) -> str:
    """“Good morning” before noon, “Good afternoon” until 17:00, then “Good evening”, by the local hour of
    `moment` (the district's own time zone, which accounts.middleware activates for each request)."""
    hour = timezone.localtime(moment).hour
    if 5 <= hour < 12:
        return "Good morning"
    return "Good afternoon" if 12 <= hour < 17 else "Good evening"


def coach_home(user: User, *, now: datetime.datetime | None = None) -> CoachHome:
    """What now? Scheduled steps, visits waiting for a debrief, and teachers not seen lately.

    Each scheduled step carries `log_move` (log it, or the earlier step of its cycle that must be logged
    first) and each waiting visit `next_move` (its debrief), from coaching.moves.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    week_end = start_of_day + datetime.timedelta(days=7 - today.weekday())
    scheduled = list(
        coach_steps(user)
        .filter(done=False, starts_at__lt=week_end, cycle__challenge__enrollment__in=caseload(user))
        .select_related("cycle__challenge__enrollment__teacher")
        .prefetch_related("cycle__steps")
        .order_by("starts_at")
    )
    for step in scheduled:
        step.log_move = step_log_move(step, text="Log it")
    debrief_done = Step.objects.filter(cycle=OuterRef("cycle"), kind=Step.Kind.DEBRIEF, done=True)
    stale_visits = list(
        coach_steps(user)
        .filter(
            kind=Step.Kind.VISIT,
            done=True,
            starts_at__lt=now - datetime.timedelta(days=STALE_VISIT_DAYS),
            cycle__challenge__enrollment__in=caseload(user),
        )
        .exclude(cycle__challenge__status=Challenge.Status.CLOSED)
        .exclude(Exists(debrief_done))
        .select_related("cycle__challenge__enrollment__teacher")
        .prefetch_related("cycle__steps")
        .order_by("starts_at")
    )
    for visit in stale_visits:
        # A visit done, its debrief not: the cycle's first move logs (or adds) the debrief.
        visit.next_move = replace(cycle_moves(visit.cycle.challenge, visit.cycle)[0], label="Log the debrief")
    active = caseload(user)
    not_contacted = list(
        active.filter(
            Q(last_contact_on__lt=today - datetime.timedelta(days=CONTACT_DAYS)) | Q(last_contact_on__isnull=True)
        )
        .select_related("teacher")
        # Never contacted first, on PostgreSQL too (it sorts NULLs last by default, SQLite first).
        .order_by(F("last_contact_on").asc(nulls_first=True), "teacher__name")
    )
    unfinished_cycle = Cycle.objects.filter(challenge=OuterRef("pk"), completed_on__isnull=True)
    ready_to_reflect = list(
        coach_challenges(user)
        .filter(status__in=[Challenge.Status.IMPLEMENT, Challenge.Status.REFLECT], enrollment__in=caseload(user))
        .exclude(Exists(unfinished_cycle))
        .select_related("enrollment__teacher")
        .order_by("enrollment__teacher__name")
    )
    tomorrow = start_of_day + datetime.timedelta(days=1)
    return CoachHome(
        today=[s for s in scheduled if start_of_day <= s.starts_at < tomorrow],
        this_week=[s for s in scheduled if s.starts_at >= tomorrow],
        overdue=[s for s in scheduled if s.starts_at < start_of_day],
        stale_visits=stale_visits,
        not_contacted=not_contacted,
        ready_to_reflect=ready_to_reflect,
        caseload_size=active.count(),
        greeting=greeting(now),
    )


def step_initial(challenge: Challenge, cycle: Cycle, kind: str, *, log: bool) -> dict:
    """A new step form's initial values, which save as they stand: done and start from coaching.moves
    (`log` False: scheduled), and for a visit the mode of the teacher's last visit, else “observe”."""
    initial = step_suggestion(cycle=cycle, kind=kind, log=log)
    if kind == Step.Kind.VISIT:
        visits = Step.objects.filter(cycle__challenge__enrollment_id=challenge.enrollment_id, kind=Step.Kind.VISIT)
        last_mode = visits.exclude(visit_mode="").order_by("-starts_at").values_list("visit_mode", flat=True).first()
        initial["visit_mode"] = last_mode or Step.VisitMode.OBSERVE
    return initial


def teacher_challenges(enrollment: Enrollment) -> list[Challenge]:
    """Every challenge of this enrollment with its cycles, steps and reflections, newest first."""
    steps = Step.objects.prefetch_related("standards")
    return list(
        enrollment.challenges.select_related("strategy", "goal")
        .prefetch_related(
            "tools",
            "candidates__strategy",
            "reflections__standards",
            Prefetch(
                "cycles", queryset=Cycle.objects.select_related("strategy").prefetch_related(Prefetch("steps", steps))
            ),
        )
        .order_by("-opened_on", "-id")
    )


PHASE_ORDER = {phase: position for position, phase in enumerate(ITURating.Phase.values)}


def itu_ratings(enrollment: Enrollment, challenges: list[Challenge] = ()) -> list[ITURating]:
    """The teacher's ITU ratings in time order (baseline before mid before end on the same day), each
    with `challenge_label`: the challenge open on its date (from `challenges`, newest first), or where it
    falls between them."""
    ratings = sorted(
        enrollment.itu_ratings.prefetch_related("scores"), key=lambda r: (r.rated_on, PHASE_ORDER[r.phase])
    )
    oldest_first = sorted(challenges, key=lambda c: (c.opened_on, c.pk))
    for rating in ratings:
        rating.challenge_label = _challenge_on(rating.rated_on, oldest_first)
    return ratings


def _challenge_on(day: datetime.date, challenges: list[Challenge]) -> str:
    open_then = [c for c in challenges if c.opened_on <= day and (c.closed_on is None or day <= c.closed_on)]
    if open_then:
        return open_then[-1].title or "New challenge"
    before = [c for c in challenges if c.opened_on <= day]
    return f"After “{before[-1].title}”" if before else "Before the first challenge"


def library_search(
    district: District,
    *,
    q: str = "",
    category: str = "",
    itu_indicator: str = "",
    subject: str = "",
    grade_band: str = "",
) -> QuerySet[Strategy]:
    """The district's active strategy library, filtered the way a coach investigates."""
    strategies = scoping.district_rows(district, Strategy).active().prefetch_related("tools")
    if q:
        strategies = strategies.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if category:
        strategies = strategies.filter(category=category)
    if itu_indicator:
        strategies = strategies.filter(itu_indicator=itu_indicator)
    if subject:
        strategies = strategies.filter(Q(subject__icontains=subject) | Q(subject=""))
    if grade_band:
        strategies = strategies.filter(grade_band__in=[grade_band, "all"])
    return strategies


# --- the coach's calendar ---------------------------------------------------------------------------

FEED_PAST_DAYS = 28
FEED_FUTURE_DAYS = 120


def calendar_feed(user: User) -> CalendarFeed | None:
    """The coach's feed (for the settings page), or None when they have none."""
    return scoping.coach_records(user, CalendarFeed).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed whose URL carries `token`, when its coach may still sign in; None otherwise (a 404)."""
    if not token or len(token) > 128:
        return None
    return (
        CalendarFeed.objects.select_related("coach__membership__district")
        .filter(token_hash=token_hash(token), coach__is_active=True, coach__membership__role=Role.COACH)
        .first()
    )


def feed_entries(user: User, *, now: datetime.datetime | None = None) -> tuple[list[Step], list[Activity]]:
    """What a coach's subscription shows: steps with teachers on the caseload now, and the coach's
    activities, from FEED_PAST_DAYS ago to FEED_FUTURE_DAYS ahead. Two queries, whatever the data.

    Only what `coaching.invitations.feed_calendar` writes is loaded: titles and times, never notes.
    """
    now = now or timezone.now()
    since, until = now - datetime.timedelta(days=FEED_PAST_DAYS), now + datetime.timedelta(days=FEED_FUTURE_DAYS)
    steps = (
        coach_steps(user)
        .filter(starts_at__gte=since, starts_at__lt=until, cycle__challenge__enrollment__in=caseload(user))
        .select_related("cycle__challenge__enrollment__teacher__school")
        .only(
            "kind",
            "starts_at",
            "minutes",
            "sequence",
            "cycle__challenge__enrollment__teacher__name",
            "cycle__challenge__enrollment__teacher__school__name",
        )  # fmt: skip
        .order_by("starts_at")
    )
    activities = (
        coach_activities(user)
        .filter(held_on__gte=since.date(), held_on__lt=until.date())
        .select_related("enrollment__teacher")
        .only("kind", "held_on", "minutes", "enrollment__teacher__name")
        .order_by("held_on", "pk")
    )
    return list(steps), list(activities)


# --- step 2: the library, ranked by fit to the challenge -------------------------------------------

LIBRARY_SHOWN = 10  # the first ten; the rest behind "show more"
LIBRARY_MAX = 200  # rendered for filtering as you type; more is a sign to narrow the filters
# How much each kind of fit counts: the challenge's category first, then the teacher's weakest ITU
# indicator, their subject and their grade band (a strategy for any subject or grade fits a little).
FIT_WEIGHTS = {"category": 4, "itu_indicator": 3, "subject": 2, "grade_band": 2}


@dataclass
class Fit:
    """What a strategy should fit for this challenge ("" where unknown)."""

    category: str
    itu_indicator: str
    subject: str
    grade_band: str

    @property
    def phrases(self) -> list[str]:
        """What it looks for, in words: "instructional challenges", "collaboration (…)", "Science", …"""
        phrases = [f"{ChallengeCategory(self.category).label.lower()} challenges"] if self.category else []
        if self.itu_indicator:
            indicator = ITUIndicator(self.itu_indicator).label.lower()
            phrases.append(f"{indicator} (the teacher's weakest ITU indicator)")
        phrases += [self.subject] if self.subject else []
        phrases += [GradeBand(self.grade_band).label] if self.grade_band else []
        return phrases


def challenge_fit(challenge: Challenge) -> Fit:
    """The challenge's category, and its teacher's subject, grade band and weakest ITU indicator: the
    lowest frequency + proficiency in their latest rating (ties in the model's order of indicators)."""
    teacher = challenge.enrollment.teacher
    latest = challenge.enrollment.itu_ratings.order_by("-rated_on", "-id").first()
    weakest = ""
    if latest is not None:
        order = {value: position for position, value in enumerate(ITUIndicator.values)}
        scores = sorted(latest.scores.all(), key=lambda s: (s.frequency + s.proficiency, order[s.indicator]))
        weakest = scores[0].indicator if scores else ""
    return Fit(challenge.category, weakest, teacher.subject, teacher.grade_band)


def library_ranked(district: District, fit: Fit, **filters: str) -> list[Strategy]:
    """The district's active strategies matching `filters` (see library_search), best fit first, then by
    title; each with `fit` (a score) and `fits` (the labels of what matches), at most LIBRARY_MAX."""
    score = Value(0)
    if fit.category:
        score += Case(When(category=fit.category, then=FIT_WEIGHTS["category"]), default=0)
    if fit.itu_indicator:
        score += Case(When(itu_indicator=fit.itu_indicator, then=FIT_WEIGHTS["itu_indicator"]), default=0)
    if fit.subject:
        score += Case(
            When(subject__iexact=fit.subject, then=FIT_WEIGHTS["subject"]), When(subject="", then=1), default=0
        )
    if fit.grade_band:
        score += Case(
            When(grade_band=fit.grade_band, then=FIT_WEIGHTS["grade_band"]), When(grade_band="all", then=1), default=0
        )
    strategies = list(library_search(district, **filters).annotate(fit=score).order_by("-fit", "title")[:LIBRARY_MAX])
    for strategy in strategies:
        strategy.fits = [
            label
            for label, matches in (
                ("category", fit.category and strategy.category == fit.category),
                ("ITU indicator", fit.itu_indicator and strategy.itu_indicator == fit.itu_indicator),
                ("subject", fit.subject and strategy.subject.lower() == fit.subject.lower()),
                ("grade band", fit.grade_band and strategy.grade_band == fit.grade_band),
            )
            if matches
        ]
    return strategies
