"""Every write of the coaching cycle. Callers pass objects already fetched through accounts.scoping."""

import datetime
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User, token_hash
from coaching import invitations, moves
from coaching.models import (
    Activity,
    CalendarFeed,
    Challenge,
    Cycle,
    Enrollment,
    Goal,
    ImpactStory,
    ITUIndicator,
    ITURating,
    ITUScore,
    Reflection,
    Step,
    Strategy,
    StrategyCandidate,
    Tool,
)
from config import rollups
from standards.models import Standard

Status = Challenge.Status

# The state machine of a challenge: the five steps of the model, forward, plus the way back
# from investigate/select while nothing has been implemented yet, and iterate from reflect.
TRANSITIONS: dict[str, set[str]] = {
    Status.IDENTIFY: {Status.INVESTIGATE},
    Status.INVESTIGATE: {Status.SELECT, Status.IDENTIFY},
    Status.SELECT: {Status.IMPLEMENT, Status.INVESTIGATE},
    Status.IMPLEMENT: {Status.REFLECT},
    Status.REFLECT: {Status.IMPLEMENT, Status.CLOSED},
    Status.CLOSED: set(),
}


IMPROVEMENT_MISSING = (
    "Say what the teacher wants to improve, as it would end “Towards the goal of improving …”: "
    "for example “shared accountability in lab groups”."
)


def _guard(challenge: Challenge, to: str) -> str | None:
    """Why the challenge may not move to `to` now, or None when it may."""
    if to not in TRANSITIONS[challenge.status]:
        return f"A challenge cannot go from “{challenge.get_status_display()}” to “{Status(to).label}”."
    if to == Status.INVESTIGATE and not (challenge.title and challenge.category):
        return "Choose the challenge and its category before investigating strategies."
    if to == Status.SELECT and not challenge.candidates.exists():
        return "Add at least one candidate strategy before selecting one."
    if (
        to == Status.IMPLEMENT
        and challenge.status == Status.SELECT
        and not (challenge.strategy_id and challenge.tools.exists())
    ):
        return "Select a strategy and at least one tool before implementing."
    if to == Status.REFLECT and not challenge.cycles.filter(completed_on__isnull=False).exists():
        return "Reflect once a meet → visit → meet cycle is complete (its debrief is done)."
    return None


@transaction.atomic
def challenge_move(*, challenge: Challenge, to: str) -> Challenge:
    """Move the challenge to step `to`; ValidationError (in words) when the state machine refuses."""
    if reason := _guard(challenge, to):
        raise moves.refusal(reason, moves.next_move(challenge))
    challenge.status = to
    challenge.save(update_fields=["status"])
    rollups.changed(enrollment_ids=[challenge.enrollment_id], ratings=False)  # the school's challenges by step
    return challenge


def _clean_problems(problems: Iterable[str]) -> list[str]:
    cleaned = [line.strip() for line in problems if line.strip()]
    if not cleaned:
        raise ValidationError({"problems": "Write down at least one problem of practice."})
    if len(cleaned) != len(set(cleaned)):
        raise ValidationError({"problems": "Each problem of practice should appear once."})
    return cleaned


def _changed(enrollment: Enrollment, *days: datetime.date, tags: bool = True, challenges: bool = True) -> None:
    """Tell the read model (config.rollups) that this enrollment's records, and its coach's work on `days`,
    changed (steps, reflections or a challenge's tags: not ITU ratings, not activities); `tags` False when
    no standards tag that counts did, `challenges` False when no challenge's status, category or goal did."""
    rollups.changed(
        enrollment_ids=[enrollment.pk],
        coach_ids=[enrollment.coach_id],
        days=days,
        ratings=False,
        activities=False,
        tags=tags,
        challenges=challenges,
    )


def _touch(enrollment: Enrollment, day: datetime.date) -> None:
    """Record contact with the teacher on `day` (never moving the last contact backwards)."""
    Enrollment.objects.filter(Q(last_contact_on__isnull=True) | Q(last_contact_on__lt=day), pk=enrollment.pk).update(
        last_contact_on=day
    )


@transaction.atomic
def challenge_start(*, enrollment: Enrollment, problems: Iterable[str]) -> Challenge:
    if enrollment.ends_on is not None:
        raise ValidationError("This teacher is no longer on your caseload.")
    if enrollment.challenges.exclude(status=Status.CLOSED).exists():
        raise moves.refusal(
            "This teacher already has an open challenge; close it before starting another.",
            moves.Move("teacher", f"Open {enrollment.teacher}'s current challenge", enrollment.teacher_id),
        )
    challenge = Challenge(enrollment=enrollment, problems=_clean_problems(problems))
    challenge.full_clean()
    challenge.save()
    rollups.changed(enrollment_ids=[enrollment.pk], ratings=False)  # the school's challenges: one more
    return challenge


@transaction.atomic
def challenge_brainstorm(*, challenge: Challenge, problems: Iterable[str]) -> Challenge:
    if challenge.status != Status.IDENTIFY:
        raise moves.refusal(
            "The brainstorm can change only while identifying the challenge.", moves.next_move(challenge)
        )
    challenge.problems = _clean_problems(problems)
    challenge.save(update_fields=["problems"])
    return challenge


@transaction.atomic
def challenge_identify(
    *,
    challenge: Challenge,
    problems: Iterable[str],
    title: str,
    improvement: str,
    category: str,
    root_cause_notes: str = "",
    goal: Goal | None = None,
    standards: Iterable[Standard] = (),
) -> Challenge:
    """Step 1: choose one brainstormed problem as the challenge, then go on to investigate.

    `improvement` is what the teacher wants to improve, as a noun phrase ("shared accountability in lab
    groups"): the focus statement reads "Towards the goal of improving <improvement>, …" (seed 004).
    """
    if challenge.status != Status.IDENTIFY:
        raise moves.refusal("This challenge has already been identified.", moves.next_move(challenge))
    challenge.problems = _clean_problems(problems)
    if title not in challenge.problems:
        raise ValidationError({"title": "Choose one of the brainstormed problems of practice."})
    improvement = " ".join(improvement.split())
    if not improvement:
        raise ValidationError({"improvement": IMPROVEMENT_MISSING})
    if goal is not None and goal.district_id != challenge.enrollment.program.district_id:
        raise ValidationError({"goal": "Choose a goal of this district."})
    challenge.title, challenge.category, challenge.improvement = title, category, improvement
    challenge.root_cause_notes, challenge.goal = root_cause_notes, goal
    challenge.full_clean()
    challenge.save()
    challenge.identify_standards.set(standards)
    _changed(challenge.enrollment, challenge.opened_on)  # the coach's standards coverage counts stage tags
    return challenge_move(challenge=challenge, to=Status.INVESTIGATE)


@transaction.atomic
def candidate_add(*, challenge: Challenge, strategy: Strategy, source: str, notes: str = "") -> StrategyCandidate:
    """Step 2: keep a strategy under consideration, with where it came from."""
    if challenge.status != Status.INVESTIGATE:
        raise moves.refusal("Candidate strategies are added while investigating.", moves.next_move(challenge))
    if strategy.district_id != challenge.enrollment.program.district_id or strategy.retired_at:
        raise ValidationError({"strategy": "Choose a strategy from your district's library."})
    if challenge.candidates.filter(strategy=strategy).exists():
        raise ValidationError({"strategy": f"“{strategy}” is already a candidate."})
    candidate = StrategyCandidate(challenge=challenge, strategy=strategy, source=source, notes=notes)
    candidate.full_clean()
    candidate.save()
    return candidate


def library_require_unique(*, item: Strategy | Tool, field: str) -> None:
    """The library holds one strategy per title and one tool per name in a district (case and spaces aside).

    Raises ValidationError on `field` naming the duplicate. Every path that adds or renames a library
    item calls this: a coach adding a strategy in step 2, a district admin curating the library.
    """
    value = getattr(item, field).strip()
    same = type(item).objects.filter(district_id=item.district_id, **{f"{field}__iexact": value})
    if item.pk:
        same = same.exclude(pk=item.pk)
    if same.exists():
        raise ValidationError({field: f"The library already has “{value}”."})


@transaction.atomic
def strategy_create(
    *, challenge: Challenge, actor: User, source: str, notes: str = "", **fields: str
) -> StrategyCandidate:
    """Step 2, a strategy the library does not have yet: add it to the library and as a candidate."""
    strategy = Strategy(district_id=challenge.enrollment.program.district_id, created_by=actor, **fields)
    strategy.full_clean()
    library_require_unique(item=strategy, field="title")
    strategy.save()
    return candidate_add(challenge=challenge, strategy=strategy, source=source, notes=notes)


@transaction.atomic
def investigation_finish(*, challenge: Challenge, standards: Iterable[Standard] = ()) -> Challenge:
    challenge_move(challenge=challenge, to=Status.SELECT)
    challenge.investigate_standards.set(standards)
    _changed(challenge.enrollment, challenge.opened_on)  # the coach's standards coverage counts stage tags
    return challenge


@transaction.atomic
def challenge_select_strategy(
    *, challenge: Challenge, strategy: Strategy, tools: Iterable[Tool], standards: Iterable[Standard] = ()
) -> Challenge:
    """Step 3: one strategy (from the candidates) and one or more tools; cycle 1 begins."""
    tools = list(tools)
    if challenge.status != Status.SELECT:
        raise moves.refusal("A strategy is selected after investigating.", moves.next_move(challenge))
    if not challenge.candidates.filter(strategy=strategy).exists():
        raise ValidationError({"strategy": "Choose one of the candidate strategies."})
    district_id = challenge.enrollment.program.district_id
    if not tools or any(tool.district_id != district_id or tool.retired_at for tool in tools):
        raise ValidationError({"tools": "Choose at least one tool from your district's library."})
    challenge.strategy = strategy
    challenge.save(update_fields=["strategy"])
    challenge.tools.set(tools)
    challenge.select_standards.set(standards)
    _changed(challenge.enrollment, challenge.opened_on)  # the coach's standards coverage counts stage tags
    challenge_move(challenge=challenge, to=Status.IMPLEMENT)
    Cycle.objects.create(challenge=challenge, number=1, strategy=strategy)
    return challenge


def _check_step_order(step: Step, others: dict[str, Step]) -> None:
    """Within a cycle: plan meeting, then visit, then debrief, each done only after the one before (`others`:
    the cycle's other steps by kind)."""
    position = Step.ORDER.index(step.kind)
    challenge = step.cycle.challenge
    if position > 0:
        previous = others.get(Step.ORDER[position - 1])
        label = moves.kind_label(Step.ORDER[position - 1])
        if previous is None:
            add = moves.offer(challenge, "add_step", f"Log or schedule the {label}", kind=Step.ORDER[position - 1])
            raise moves.refusal(f"Add the {label} of this cycle first.", add)
        if step.done and not previous.done:
            pending = next(others[k] for k in Step.ORDER[:position] if k in others and not others[k].done)
            waiting, this = moves.kind_label(pending.kind), moves.kind_label(step.kind)
            unblock = moves.offer(challenge, "log_step", f"Log the {waiting}", step_id=pending.pk, kind=pending.kind)
            raise moves.refusal(
                f"Log the {waiting} first: the {this} is done only after it. Or untick Done to schedule the {this}.",
                unblock,
            )
        if step.starts_at < previous.starts_at:
            when = moves.when(previous.starts_at)
            raise ValidationError({"starts_at": f"This step cannot come before the {label} ({when})."})
    following = others.get(Step.ORDER[position + 1]) if position < 2 else None
    if following and step.starts_at > following.starts_at:
        label, when = following.get_kind_display().lower(), moves.when(following.starts_at)
        raise ValidationError({"starts_at": f"This step cannot come after the {label} ({when})."})


@transaction.atomic
def step_log(
    *,
    challenge: Challenge,
    kind: str,
    starts_at: datetime.datetime,
    standards: Iterable[Standard] = (),
    **fields: object,
) -> Step:
    """Step 4: schedule or log a planning meeting, classroom visit or debrief in the current cycle."""
    if challenge.status != Status.IMPLEMENT:
        raise moves.refusal("Steps are logged while implementing a strategy.", moves.next_move(challenge))
    cycle = challenge.current_cycle
    if cycle.completed_on:
        raise moves.refusal(
            "This cycle is complete: reflect with the teacher, or start another cycle.", moves.next_move(challenge)
        )
    others = {other.kind: other for other in cycle.steps.all()}
    if existing := others.get(kind):
        raise moves.refusal(
            f"Cycle {cycle.number} already has a {moves.kind_label(kind)}.",
            moves.offer(challenge, "edit_step", f"Open the {moves.kind_label(kind)}", step_id=existing.pk, kind=kind),
        )
    step = Step(cycle=cycle, kind=kind, starts_at=starts_at, **fields)
    return _save_step(step, standards=standards, others=others)


@transaction.atomic
def step_update(*, step: Step, standards: Iterable[Standard] = (), **fields: object) -> Step:
    """Change a step's time, notes, tags or done-ness; ValidationError when the cycle's order forbids it."""
    if step.cycle.challenge.status == Status.CLOSED:
        raise moves.refusal(
            "This challenge is closed; its steps can no longer change.", moves.next_move(step.cycle.challenge)
        )
    was_done = step.done
    if was_done and not fields.get("done", True):
        later = step.cycle.steps.filter(kind__in=Step.ORDER[Step.ORDER.index(step.kind) + 1 :], done=True)
        if later.exists():
            raise ValidationError("A later step of this cycle is done; this one must stay done.")
    was = step.starts_at
    for name, value in fields.items():
        setattr(step, name, value)
    return _save_step(step, standards=standards, was=was)


def _save_step(
    step: Step,
    *,
    standards: Iterable[Standard],
    was: datetime.datetime | None = None,
    others: dict[str, Step] | None = None,
) -> Step:
    """Validate and save a new or changed step (`others`: its cycle's other steps by kind, when the caller
    has them) and what follows from it: contact, the cycle's completion, the read model, the invitation."""
    if step.kind == Step.Kind.VISIT and not step.visit_mode:
        raise ValidationError({"visit_mode": "Say whether you co-taught, modelled or observed."})
    if step.kind != Step.Kind.VISIT:
        step.visit_mode, step.data_collected = "", ""
    # Not the cycle: it is a row already fetched (the foreign key holds in the database all the same), and
    # its one step of each kind is step_log's check (a step never changes kind or cycle) and, in a race,
    # the unique constraint's (config.forms.run_once).
    step.full_clean(exclude=["cycle"])
    program = step.cycle.challenge.enrollment.program
    if not program.starts_on <= timezone.localdate(step.starts_at) <= program.ends_on:
        raise ValidationError({"starts_at": f"Pick a day within {program}: {moves.day(program.starts_on)} to "
                                            f"{moves.day(program.ends_on)}."})  # fmt: skip
    if others is None:
        others = {other.kind: other for other in step.cycle.steps.all() if other.pk != step.pk}
    _check_step_order(step, others)
    adding = step._state.adding
    step.save()
    if not adding:
        step.standards.set(standards)
    elif standards := list(standards):
        step.standards.add(*standards)  # a new step has no tags to compare with
    cycle = step.cycle
    if step.done:
        _touch(cycle.challenge.enrollment, timezone.localdate(step.starts_at))
    if step.kind == Step.Kind.DEBRIEF:
        # The debrief closes the cycle; un-marking it reopens the cycle.
        cycle.completed_on = timezone.localdate(step.starts_at) if step.done else None
        cycle.save(update_fields=["completed_on"])
    days = {timezone.localdate(step.starts_at), timezone.localdate(was or step.starts_at)}
    # The coach's standards rows count the tags of done steps: a new step adds some only when done and tagged.
    tags = not adding or (step.done and bool(standards))
    _changed(cycle.challenge.enrollment, *days, tags=tags, challenges=False)
    # A scheduled step's invitation, or its update (a new time or length, the teacher invited or not):
    # sent after the commit, each change with the next SEQUENCE. A step marked done changes nothing.
    invitations.event_schedule(step)
    return step


def step_cancel_refusal(*, step: Step) -> str | None:
    """Why this step cannot be cancelled, or None: only a scheduled step, and the cycle's last one.

    The cycle's order (plan meeting → visit → debrief) holds after it: a step with a later step of the
    cycle after it cannot go (cancel the later one first, or reschedule this one).
    """
    if step.done:
        return "This step is done: it happened, so it cannot be cancelled."
    if step.cycle.challenge.status == Status.CLOSED:
        return "This challenge is closed; its steps can no longer change."
    later = Step.ORDER[Step.ORDER.index(step.kind) + 1 :]
    if following := step.cycle.steps.filter(kind__in=later).order_by("starts_at").first():
        return f"Cancel the {following.get_kind_display().lower()} of this cycle first, or reschedule this step."
    return None


@transaction.atomic
def step_cancel(*, step: Step) -> int:
    """Cancel a scheduled step: it is deleted, and calendars that had it get a METHOD:CANCEL.

    Deleted rather than kept as cancelled, so the cycle can schedule a step of that kind again and no
    count or cadence figure ever has to skip it. Returns the id the step had; ValidationError when
    `step_cancel_refusal` says why not.
    """
    if reason := step_cancel_refusal(step=step):
        raise ValidationError(reason)
    step_id, enrollment = step.pk, step.cycle.challenge.enrollment
    invitations.events_cancel([step])
    step.delete()
    # A scheduled step counts nowhere yet (its tags neither); told all the same.
    _changed(enrollment, timezone.localdate(step.starts_at), tags=False, challenges=False)
    return step_id


def enrollment_steps_cancel(*, enrollments: Iterable[Enrollment]) -> int:
    """Cancel in calendars the scheduled steps of enrollments that end (teacher left, moved or erased).

    The steps themselves stay with the coach's record (or go with an erasure); returns how many were
    cancelled. Call it inside the writing transaction.
    """
    steps = Step.objects.filter(done=False, cycle__challenge__enrollment__in=[e.pk for e in enrollments])
    return invitations.events_cancel(steps)


@transaction.atomic
def ended_enrollments_steps_cancel(*, enrollment_ids: Iterable[int]) -> int:
    """Cancel in calendars the scheduled steps of enrollments ended by a change made where coaching cannot be
    called (accounts.services: a role change, a deactivation, a coach leaving a school), which queues
    this by task after its commit. Enrollments still active are left alone; returns how many steps."""
    ended = Enrollment.objects.filter(pk__in=list(enrollment_ids), ends_on__isnull=False)
    return enrollment_steps_cancel(enrollments=ended)


# --- the coach's calendar feed ---------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """The secret of the feed's URL (64 hex digits), rebuilt from its nonce and SECRET_KEY."""
    return salted_hmac("coaching.CalendarFeed.token", feed.token_nonce, algorithm="sha256").hexdigest()


@transaction.atomic
def calendar_feed_renew(*, actor: User) -> CalendarFeed:
    """Give the coach a new feed URL; the old one, if any, stops working at once (revoke = renew)."""
    feed = CalendarFeed.objects.select_for_update().filter(coach=actor).first() or CalendarFeed(coach=actor)
    feed.token_nonce = secrets.token_urlsafe(32)
    feed.token_hash = token_hash(feed_token(feed))
    feed.created_at = timezone.now()
    feed.save()
    return feed


@transaction.atomic
def calendar_feed_revoke(*, actor: User) -> None:
    """Turn the coach's feed off: its URL is a 404 from now on."""
    CalendarFeed.objects.filter(coach=actor).delete()


@transaction.atomic
def cycle_start(*, challenge: Challenge, strategy: Strategy | None = None) -> Cycle:
    """Another meet → visit → meet round, optionally with a new strategy."""
    if challenge.status not in (Status.IMPLEMENT, Status.REFLECT):
        raise moves.refusal("New cycles start while implementing or after reflecting.", moves.next_move(challenge))
    last = challenge.current_cycle
    if last and not last.completed_on:
        raise moves.refusal(
            f"Finish cycle {last.number} (its debrief) before starting another.", moves.next_move(challenge)
        )
    if strategy is not None:
        if strategy.district_id != challenge.enrollment.program.district_id or strategy.retired_at:
            raise ValidationError({"strategy": "Choose a strategy from your district's library."})
        challenge.strategy = strategy
        challenge.save(update_fields=["strategy"])
    if challenge.status == Status.REFLECT:
        challenge_move(challenge=challenge, to=Status.IMPLEMENT)
    return Cycle.objects.create(
        challenge=challenge, number=(last.number + 1 if last else 1), strategy=challenge.strategy
    )


def reflect_refusal(*, challenge: Challenge) -> ValidationError | None:
    """Why the coach cannot reflect on this challenge now (with the move that gets there), or None."""
    if challenge.status not in (Status.IMPLEMENT, Status.REFLECT):
        reason = "Reflect once a meet → visit → meet cycle is complete (its debrief is done)."
        return moves.refusal(reason, moves.next_move(challenge))
    last = challenge.current_cycle
    if not last.completed_on:
        return moves.refusal(f"Finish cycle {last.number} (its debrief) before reflecting.", moves.next_move(challenge))
    return None


@transaction.atomic
def challenge_reflect(
    *,
    challenge: Challenge,
    decision: str,
    held_on: datetime.date,
    minutes: int,
    notes: str = "",
    standards: Iterable[Standard] = (),
    new_strategy: Strategy | None = None,
) -> Reflection:
    """Step 5: reflect with the teacher and decide: resolved, iterate or move on."""
    if refusal := reflect_refusal(challenge=challenge):
        raise refusal
    if challenge.status == Status.IMPLEMENT:
        challenge_move(challenge=challenge, to=Status.REFLECT)
    reflection = Reflection(challenge=challenge, decision=decision, held_on=held_on, minutes=minutes, notes=notes)
    reflection.full_clean()
    reflection.save()
    reflection.standards.set(standards)
    _touch(challenge.enrollment, held_on)
    if decision == Reflection.Decision.ITERATE:
        cycle_start(challenge=challenge, strategy=new_strategy)
    else:
        challenge_move(challenge=challenge, to=Status.CLOSED)
        challenge.outcome = (
            Challenge.Outcome.RESOLVED if decision == Reflection.Decision.RESOLVED else Challenge.Outcome.MOVED_ON
        )
        challenge.closed_on = held_on
        challenge.save(update_fields=["outcome", "closed_on"])
    _changed(challenge.enrollment, held_on)
    return reflection


@transaction.atomic
def itu_rate(
    *, enrollment: Enrollment, phase: str, rated_on: datetime.date, scores: dict[str, tuple[int, int]]
) -> ITURating:
    """Rate all six ITU indicators (frequency, proficiency) for a phase; rating a phase again replaces it."""
    if set(scores) != set(ITUIndicator.values):
        raise ValidationError("Rate all six indicators of impactful technology use.")
    for indicator, (frequency, proficiency) in scores.items():
        if not (1 <= frequency <= 5 and 1 <= proficiency <= 5):
            raise ValidationError(f"{ITUIndicator(indicator).label}: ratings go from 1 to 5.")
    rating, _ = ITURating.objects.update_or_create(enrollment=enrollment, phase=phase, defaults={"rated_on": rated_on})
    rating.full_clean()
    rating.scores.all().delete()
    ITUScore.objects.bulk_create(
        ITUScore(rating=rating, indicator=indicator, frequency=frequency, proficiency=proficiency)
        for indicator, (frequency, proficiency) in scores.items()
    )
    rollups.changed(enrollment_ids=[enrollment.pk])  # the coach's own rollups do not count ratings
    return rating


@transaction.atomic
def activity_log(*, actor: User, kind: str, standards: Iterable[Standard] = (), **fields: object) -> Activity:
    """A coach's non-1:1 work, or an informal touchpoint with a teacher on their caseload."""
    activity = Activity(coach=actor, kind=kind, **fields)
    if kind == Activity.Kind.TOUCHPOINT:
        if activity.enrollment is None or activity.enrollment.coach_id != actor.pk:
            raise ValidationError({"enrollment": "Choose a teacher on your caseload."})
        activity.school = activity.enrollment.teacher.school
    else:
        activity.enrollment, activity.channel = None, ""
    activity.full_clean()
    activity.save()
    activity.standards.set(standards)
    if activity.enrollment:
        _touch(activity.enrollment, activity.held_on)
    rollups.changed(
        enrollment_ids=[activity.enrollment_id], coach_ids=[actor.pk], days=[activity.held_on], ratings=False
    )
    return activity


# --- impact stories -------------------------------------------------------------------------------


@transaction.atomic
def story_save(
    *,
    actor: User,
    enrollment: Enrollment,
    title: str,
    story: str,
    told_on: datetime.date,
    share_with_principal: bool = False,
    share_with_district: bool = False,
    instance: ImpactStory | None = None,
) -> ImpactStory:
    """Write a story of impact (3F), or change it, e.g. when the teacher withdraws their consent."""
    if enrollment.coach_id != actor.pk:
        raise ValidationError({"enrollment": "Choose a teacher on your caseload."})
    if instance is not None and instance.coach_id != actor.pk:
        raise ValidationError("Only the coach who wrote a story can change it.")
    impact = instance or ImpactStory(coach=actor)
    impact.enrollment, impact.title, impact.story, impact.told_on = enrollment, title, story, told_on
    impact.share_with_principal, impact.share_with_district = share_with_principal, share_with_district
    impact.full_clean()
    impact.save()
    return impact
