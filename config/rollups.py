"""The one hook through which a lower app tells the read model that coaching records changed.

The rollup tables live in `dashboard` (the top layer), but the writes that change them happen in
`coaching` and `districts` services, which may not import `dashboard`. So every writing service calls
`changed(...)` inside its transaction with the ids it touched, and `dashboard` registers its refresher
here by dotted name when the app is ready (`DashboardConfig.ready`) — by name, like `enqueue`, so that
no module imports one above it. One listener per key: registering the same key again replaces it.

With no listener registered (an app configuration without `dashboard`) a change is a no-op.
"""

import contextvars
import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.utils.module_loading import import_string

FLAGS = ("ratings", "activities", "tags", "challenges")  # what changed: each True unless known not to have

_listeners: dict[str, str] = {}
_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rollups_batch", default=None)


def register(key: str, dotted_path: str) -> None:
    """On every `changed(...)`, call the function at `dotted_path` with
    `enrollment_ids=set[int], coach_ids=set[int], days=set[date] | None, ratings=bool, activities=bool, tags=bool,
    challenges=bool`."""
    _listeners[key] = dotted_path


def listeners() -> dict[str, str]:
    return dict(_listeners)


def changed(
    *,
    enrollment_ids: Iterable[int] = (),
    coach_ids: Iterable[int] = (),
    days: Iterable[datetime.date] | None = None,
    ratings: bool = True,
    activities: bool = True,
    tags: bool = True,
    challenges: bool = True,
) -> None:
    """Coaching records of these enrollments, and work of these coaches, changed in this transaction.

    `days`: the local dates of the coaches' work that changed (a step's date before and after an edit),
    which is the work of these enrollments or the coaches' own (no teacher's), so that only those months
    of those rows are recomputed; None when unknown (every month of the coaches' rows is). `ratings`: False when
    the enrollments' ITU ratings are known not to have changed (logging work never changes them).
    `activities`: False when no activity (school-wide work, PD, a touchpoint…) of these coaches changed
    (a step, a reflection or a challenge's tags is not one). `tags`: False when no standards tag that counts
    changed (a new step with none, or not done yet). `challenges`: False when no challenge of these enrollments
    was opened, moved, closed or given another category or goal (logging or cancelling a step).

    Call it inside the writing transaction, after the write: listeners recompute from the rows as they
    are now, so the read model commits (or rolls back) with the write.
    """
    enrollments, coaches = {int(i) for i in enrollment_ids if i}, {int(i) for i in coach_ids if i}
    if not (enrollments or coaches):
        return
    if (batch := _batch.get()) is not None:
        batch["enrollment_ids"] |= enrollments
        batch["coach_ids"] |= coaches
        for flag, value in zip(FLAGS, (ratings, activities, tags, challenges), strict=True):
            batch[flag] = batch[flag] or value
        return
    when = None if days is None else set(days)
    for dotted_path in list(_listeners.values()):
        import_string(dotted_path)(
            enrollment_ids=enrollments,
            coach_ids=coaches,
            days=when,
            ratings=ratings,
            activities=activities,
            tags=tags,
            challenges=challenges,
        )


@contextmanager
def batched() -> Iterator[None]:
    """Within the block, `changed(...)` only gathers the ids, and the listeners hear of them once, when the block
    ends without an error: every change together, on every day (`days=None`), each flag True if any call's was.

    For a bulk load that writes the same enrollments again and again through the services (the demo district:
    its ~500 changes become one refresh). Use it inside the writing transaction, so the read model still
    commits with the writes; a nested block joins the outer one. Nothing may read the rollups inside it.
    """
    if _batch.get() is not None:
        yield
        return
    batch = {"enrollment_ids": set(), "coach_ids": set()} | dict.fromkeys(FLAGS, False)
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    changed(**batch)
