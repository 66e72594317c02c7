"""The checks behind /healthz: can this web process reach what Cadence needs, and is a worker alive?"""

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import app
from config.models import OutboxMessage

HEARTBEAT_KEY = "cadence:worker-heartbeat"
HEARTBEAT_SECONDS = 30  # how often beat schedules config.tasks.heartbeat
# A worker is taken for gone after missing three heartbeats.
HEARTBEAT_STALE_SECONDS = 3 * HEARTBEAT_SECONDS


class Unhealthy(Exception):
    """A check's own finding, safe to show on the public endpoint."""


def worker_beat() -> None:
    """Record that a worker ran the heartbeat task now (a Unix time in the cache, which every process shares)."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    oldest = OutboxMessage.objects.order_by("pk").values_list("created_at", flat=True).first()
    waiting = OutboxMessage.objects.count() if oldest else 0
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"outbox": {"waiting": waiting, "oldest_seconds": age}}


def _cache() -> dict:
    cache.set("cadence:healthz", 1, timeout=10)
    if cache.get("cadence:healthz") != 1:
        raise Unhealthy("the cache did not keep a value")
    return {}


def _broker() -> dict:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return {}


def _worker() -> dict:
    last = cache.get(HEARTBEAT_KEY)
    if last is None:
        raise Unhealthy("no worker heartbeat yet")
    age = time.time() - last
    if age > HEARTBEAT_STALE_SECONDS:
        raise Unhealthy(f"the last worker heartbeat is {round(age)} s old")
    return {"last_seen_seconds": round(age)}


def _check(probe: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        detail = {"ok": True, **probe()}
    except Exception as error:  # noqa: BLE001 - any failure is the answer, named, never raised
        # Only our own words, or the exception's class: a driver's message names hosts and ports.
        detail = {"ok": False, "error": str(error) if isinstance(error, Unhealthy) else type(error).__name__}
    return {**detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def report() -> dict:
    """{"status": "ok" | "degraded" | "down", "checks": {name: {"ok": bool, "ms": float, ...}}}.

    "down" when the database is unreachable (this process cannot serve anyone), "degraded" when
    only the cache, the broker or the worker is (pages work; e-mails and jobs wait in the outbox).
    The endpoint is public: error texts are the check's own words or an exception's class name,
    never a driver's message (it names hosts and ports).
    """
    checks = {
        "database": _check(_database),
        "cache": _check(_cache),
        "broker": _check(_broker),
        "worker": _check(_worker),
    }
    if not checks["database"]["ok"]:
        status = "down"
    else:
        status = "ok" if all(check["ok"] for check in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
