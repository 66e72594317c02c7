"""What the coach can do next on a challenge, from the state machine's own rules.

Pages offer Moves, and a refusal carries the Move that unblocks it (ValidationError params["next"],
which config.forms turns into a link): nothing a page offers is refused, and every refusal says what
to do instead and links there. Reads only prefetched rows where the docstrings say so.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone

from coaching.models import Challenge, Cycle, Step

Status = Challenge.Status

# action: (URL name, which of the move's ids the URL takes, query string)
_MOVE_ROUTES = {
    "teacher": ("coaching:teacher", ("teacher_id",), ""),
    "new_challenge": ("coaching:challenge_new", ("teacher_id",), ""),
    "identify": ("coaching:identify", ("challenge_id",), ""),
    "investigate": ("coaching:investigate", ("challenge_id",), ""),
    "select": ("coaching:select", ("challenge_id",), ""),
    "reflect": ("coaching:reflect", ("challenge_id",), ""),
    "start_cycle": ("coaching:cycle_new", ("challenge_id",), ""),
    "add_step": ("coaching:step_new", ("challenge_id", "kind"), ""),
    "schedule_step": ("coaching:step_new", ("challenge_id", "kind"), "?schedule=1"),
    "log_step": ("coaching:step_edit", ("step_id",), "?log=1"),
    "edit_step": ("coaching:step_edit", ("step_id",), ""),
}


@dataclass(frozen=True)
class Move:
    """One thing the coach can do next that the state machine allows now.

    `url` opens its form (or, when `posts`, is the action a button posts to); `note` says why the
    natural next move has to wait, when it has to.
    """

    action: str
    label: str
    teacher_id: int
    challenge_id: int | None = None
    kind: str = ""
    step_id: int | None = None
    note: str = ""

    @property
    def url(self) -> str:
        name, ids, query = _MOVE_ROUTES[self.action]
        return reverse(name, args=[getattr(self, attribute) for attribute in ids]) + query

    @property
    def posts(self) -> bool:
        return self.action == "start_cycle"


def offer(challenge: Challenge, action: str, label: str, **fields) -> Move:
    """A move on this challenge (its enrollment is loaded with it)."""
    return Move(action, label, challenge.enrollment.teacher_id, challenge.pk, **fields)


def refusal(message: str, move: Move | None = None, *, field: str | None = None) -> ValidationError:
    """A refusal in words, carrying the move that unblocks it (for config.forms to link to)."""
    params = {"next": move} if move else None
    # ValidationError formats a message with its params: keep any "%" of the message literal.
    error = ValidationError(message.replace("%", "%%") if params else message, code="refused", params=params)
    return ValidationError({field: error}) if field else error


def kind_label(kind: str) -> str:
    """ "classroom visit": a step kind as it reads inside a sentence."""
    return Step.Kind(kind).label.lower()


def step_log_move(step: Step, *, text: str = "") -> Move:
    """Log this step as done, or, while an earlier step of its cycle is not done, log that one first.

    Uses the cycle's prefetched steps and `step.cycle.challenge.enrollment`.
    """
    challenge = step.cycle.challenge
    pending = first_pending(step.cycle)
    if pending is None or pending.pk == step.pk:
        text = text or f"Log the {kind_label(step.kind)}"
        return offer(challenge, "log_step", text, step_id=step.pk, kind=step.kind)
    return offer(
        challenge,
        "log_step",
        f"Log the {kind_label(pending.kind)} first",
        step_id=pending.pk,
        kind=pending.kind,
        note=f"The {kind_label(step.kind)} is logged once the {kind_label(pending.kind)} is done.",
    )


def first_pending(cycle: Cycle) -> Step | None:
    """The cycle's first step not done yet (steps exist in the model's order, so it is the one to log next)."""
    steps = {step.kind: step for step in cycle.steps.all()}
    return next((steps[kind] for kind in Step.ORDER if kind in steps and not steps[kind].done), None)


def cycle_moves(challenge: Challenge, cycle: Cycle) -> list[Move]:
    """Step 4's moves in an open cycle: log the step that is due, and add (or schedule) the next kind."""
    steps = {step.kind: step for step in cycle.steps.all()}
    pending = first_pending(cycle)
    missing = next((kind for kind in Step.ORDER if kind not in steps), None)
    moves = [step_log_move(pending)] if pending else []
    if missing and pending is None:
        moves.append(offer(challenge, "add_step", f"Log or schedule the {kind_label(missing)}", kind=missing))
    elif missing:
        note = (
            f"Log the {kind_label(missing)} once the {kind_label(pending.kind)} is done; schedule it now if you like."
        )
        moves.append(offer(challenge, "schedule_step", f"Schedule the {kind_label(missing)}", kind=missing, note=note))
    return moves


def challenge_moves(challenge: Challenge) -> list[Move]:
    """What the coach can do next on this challenge, the most likely first (uses prefetched cycles and steps)."""
    status = challenge.status
    if status == Status.CLOSED:
        return [Move("new_challenge", "Start a new challenge", challenge.enrollment.teacher_id)]
    single = {
        Status.IDENTIFY: ("identify", "Identify the challenge"),
        Status.INVESTIGATE: ("investigate", "Investigate strategies"),
        Status.SELECT: ("select", "Select strategy and tools"),
    }
    if status in single:
        return [offer(challenge, *single[status])]
    cycle = challenge.current_cycle
    if cycle is not None and not cycle.completed_on:
        return cycle_moves(challenge, cycle)
    return [
        offer(challenge, "reflect", "Reflect on outcomes"),
        offer(challenge, "start_cycle", f"Start cycle {cycle.number + 1 if cycle else 1}"),
    ]


def next_move(challenge: Challenge) -> Move | None:
    """The move a refusal points to: the most likely next one."""
    moves = challenge_moves(challenge)
    return moves[0] if moves else None


def step_suggestion(*, cycle: Cycle, kind: str, step: Step | None = None, log: bool = True) -> dict:
    """Initial done and start (local date and time) for a step form that saves as it stands.

    Logging (`log`): now, or the step's own time when that is already past, never before the step
    before it. Scheduling: now, or straight after the step before it when that ends later.
    Raises nothing; the values are only suggestions the service checks again.
    """
    now = timezone.localtime().replace(second=0, microsecond=0)
    now -= datetime.timedelta(minutes=now.minute % 5)
    steps = {other.kind: other for other in cycle.steps.all() if step is None or other.pk != step.pk}
    position = Step.ORDER.index(kind)
    previous = steps.get(Step.ORDER[position - 1]) if position else None
    done = log and (previous is None or previous.done)
    if step is not None and (not done or step.starts_at <= now):
        starts_at = timezone.localtime(step.starts_at)
    elif previous is None:
        starts_at = now
    elif done:
        starts_at = max(now, timezone.localtime(previous.starts_at))
    else:
        ends = timezone.localtime(previous.starts_at) + datetime.timedelta(minutes=previous.minutes)
        starts_at = max(now, ends + datetime.timedelta(minutes=-ends.minute % 5))
    return {"done": done, "date": starts_at.date(), "time": starts_at.time()}


def when(moment: datetime.datetime) -> str:
    """“Mon 30 Nov, 10:15”, in the current (the district's) time zone; “Fri 1 Jan 2027, 10:15” outside this
    year."""
    local = timezone.localtime(moment)
    return formats.date_format(local, "D j M, H:i" if local.year == timezone.localdate().year else "D j M Y, H:i")


def day(value: datetime.date) -> str:
    """“4 June 2027”."""
    return formats.date_format(value, "j F Y")
