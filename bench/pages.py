"""Benchmark of the coach's pages at two data sizes, in one run (DESIGN.md, quality targets).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadence_bench \\
        .venv/bin/python bench/pages.py [--small 10000] [--large 1000000]

It empties that throwaway database (its name must contain "bench"), migrates it, loads a synthetic district with `small`
logged steps, times each page against the floor (a trivial signed-in page), grows the district to
`large` steps and times them again, and prints load times, medians, ratios and query counts.
The bench coach's own caseload stays the same size (10 teachers): what grows is everyone else's
history, which a coach's pages must not pay for.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import District, Membership, Role, School, User  # noqa: E402
from coaching import services  # noqa: E402
from coaching.models import Challenge, Cycle, Enrollment, Program, Step, Strategy, Teacher, Tool  # noqa: E402

STEPS_PER_CHALLENGE = 30  # 10 completed cycles of meet → visit → meet
TEACHERS_PER_COACH = 10
BATCH = 5000


def grow(district, school, program, strategy, steps: int) -> float:
    """Add closed challenges with full cycles until the district holds `steps` steps; returns seconds."""
    started = time.perf_counter()
    have = Step.objects.filter(cycle__challenge__enrollment__program=program).count()
    challenges_needed = max(0, (steps - have) // STEPS_PER_CHALLENGE)
    coaches_needed = -(-challenges_needed // TEACHERS_PER_COACH)
    base = User.objects.count()
    coaches = User.objects.bulk_create(
        [User(email=f"bench{base + i}@bench.test", full_name=f"Coach {base + i}") for i in range(coaches_needed)],
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        [Membership(user=c, district=district, role=Role.COACH) for c in coaches], batch_size=BATCH
    )
    teachers = Teacher.objects.bulk_create(
        [Teacher(school=school, name=f"Teacher {base}-{i}") for i in range(challenges_needed)], batch_size=BATCH
    )
    start = timezone.now() - datetime.timedelta(days=300)
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(program=program, coach=coaches[i // TEACHERS_PER_COACH], teacher=t, last_contact_on=start.date())
            for i, t in enumerate(teachers)
        ],
        batch_size=BATCH,
    )
    challenges = Challenge.objects.bulk_create(
        [
            Challenge(enrollment=e, title="Synthetic", category="instructional", status="closed", outcome="resolved",
                      strategy=strategy, problems=["Synthetic"])
            for e in enrollments
        ],
        batch_size=BATCH,
    )  # fmt: skip
    for offset in range(0, len(challenges), BATCH):
        chunk = challenges[offset : offset + BATCH]
        cycles = Cycle.objects.bulk_create(
            [
                Cycle(challenge=c, number=n, strategy=strategy, completed_on=start.date())
                for c in chunk
                for n in range(1, STEPS_PER_CHALLENGE // 3 + 1)
            ],
            batch_size=BATCH,
        )
        Step.objects.bulk_create(
            [
                Step(cycle=cycle, kind=kind, starts_at=start + datetime.timedelta(days=cycle.number, hours=k),
                     minutes=30, done=True, visit_mode="observe" if kind == "visit" else "", notes="Synthetic notes")
                for cycle in cycles
                for k, kind in enumerate(Step.ORDER)
            ],
            batch_size=BATCH,
        )  # fmt: skip
    return time.perf_counter() - started


def bench_coach(district, school, program, strategy, tool):
    coach = User.objects.create_user("benchcoach@bench.test", "password", full_name="Bench Coach")
    Membership.objects.create(user=coach, district=district, role=Role.COACH)
    enrollments = [
        Enrollment.objects.create(
            program=program, coach=coach, teacher=Teacher.objects.create(school=school, name=f"T{i}")
        )
        for i in range(TEACHERS_PER_COACH)
    ]
    challenge = services.challenge_start(enrollment=enrollments[0], problems=["Off task"])
    services.challenge_identify(
        challenge=challenge,
        problems=["Off task"],
        title="Off task",
        improvement="time on task",
        category="instructional",
    )
    services.candidate_add(challenge=challenge, strategy=strategy, source="research")
    services.investigation_finish(challenge=challenge)
    services.challenge_select_strategy(challenge=challenge, strategy=strategy, tools=[tool])
    return coach, challenge


def measure(client, method: str, url: str, runs: int, data=None, after=None) -> tuple[float, int]:
    """Median milliseconds over `runs` requests, and the queries of one request."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = getattr(client, method)(url, data or {})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
        if after:
            after()
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(url, data or {})
    if after:
        after()
    return statistics.median(timings), len(queries)


def pages(client, coach, challenge):
    today = timezone.localdate().isoformat()
    step_url = f"/challenges/{challenge.pk}/steps/plan_meeting/new/"
    log_step = {"done": "on", "date": today, "time": "10:00", "minutes": 30, "notes": "Bench"}
    remove = lambda: Step.objects.filter(cycle__challenge=challenge).delete()  # noqa: E731
    teacher = challenge.enrollment.teacher_id
    return [
        ("floor: standards catalog", "get", "/standards/", None, None),
        ("coach home", "get", "/", None, None),
        ("caseload", "get", "/caseload/", None, None),
        ("teacher page", "get", f"/teachers/{teacher}/", None, None),
        ("log a step (POST)", "post", step_url, log_step, remove),
    ]


def run_round(label: str, client, coach, challenge, runs: int) -> dict[str, tuple[float, int]]:
    results = {
        name: measure(client, m, url, runs, data, after)
        for name, m, url, data, after in pages(client, coach, challenge)
    }
    floor = results["floor: standards catalog"][0]
    print(f"\n{label}")
    print(f"  {'page':28} {'median ms':>10} {'× floor':>8} {'queries':>8}")
    for name, (ms, queries) in results.items():
        print(f"  {name:28} {ms:10.1f} {ms / floor:8.2f} {queries:8}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Point DATABASE_URL at a throwaway database whose name contains 'bench': it is emptied first.")
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    district = District.objects.create(name="Bench", slug="bench")
    school = School.objects.create(district=district, name="Bench School")
    program = Program.objects.create(district=district, name="Bench", starts_on="2026-08-01", ends_on="2027-06-30")
    strategy = Strategy.objects.create(
        district=district, title="S", category="instructional", itu_indicator="creativity"
    )
    tool = Tool.objects.create(district=district, name="T")
    coach, challenge = bench_coach(district, school, program, strategy, tool)
    client = Client()
    client.force_login(coach)
    reset_queries()

    seconds = grow(district, school, program, strategy, args.small)
    print(f"loaded {args.small:,} steps in {seconds:.1f} s")
    small = run_round(f"{args.small:,} steps", client, coach, challenge, args.runs)
    seconds = grow(district, school, program, strategy, args.large)
    print(f"\ngrew to {args.large:,} steps in {seconds:.1f} s ({Step.objects.count():,} steps in the database)")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    large = run_round(f"{args.large:,} steps", client, coach, challenge, args.runs)
    print("\nlarge ÷ small (1.00 = no slower with more data)")
    for name in small:
        print(f"  {name:28} {large[name][0] / small[name][0]:8.2f}   queries {small[name][1]} → {large[name][1]}")


if __name__ == "__main__":
    main()
