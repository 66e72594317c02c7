"""`make bench`: the dashboards served by gunicorn on PostgreSQL and Redis, at two data sizes, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadence_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/dashboards.py [--sizes 10000 1000000] [--schools 100] [--teachers 10000]

It empties that throwaway database (its name must contain "bench"), migrates it, and for each size builds
a synthetic district (`manage.py generate_district`, same schools and teachers, more steps), then serves
Cadence with gunicorn and times over HTTP, the sizes taking turns request by request: the floor (a
trivial signed-in page: the standards catalog), each dashboard for its audience (the biggest school and
a typical one for principals), the district caseloads page and logging a step, each request after one of the
floor's. It prints p50/p95, the ratio to the floor (over the floor requests taken in the same turns), the page
size and the SQL query count (counted in-process with the test client), then the large ÷ small ratios.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
}
os.environ.update({k: v for k, v in BENCH_ENV.items() if k not in os.environ or k == "DEBUG"})

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import District, User  # noqa: E402
from coaching.models import Challenge, Step  # noqa: E402
from config import rollups  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8107"))
BASE = f"http://127.0.0.1:{PORT}"
HEADERS = {"X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1:{PORT}/"}


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Visitor:
    """One signed-in user over HTTP (secure cookies set by hand: the bench serves plain HTTP)."""

    def __init__(self, user: User):
        self.user = user
        self.http = requests.Session()
        self.cookies = {"sessionid": session_cookie(user)}

    def get(self, path: str) -> requests.Response:
        return self.http.get(BASE + path, headers=HEADERS, cookies=self.cookies, allow_redirects=False)

    def post(self, path: str, data: dict) -> requests.Response:
        """Open the form as a browser does (a create page redirects to itself with a new submission key), then
        send it with its hidden fields; only the send is timed."""
        form = self.http.get(BASE + path, headers=HEADERS, cookies=self.cookies)
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
        self.cookies["csrftoken"] = form.cookies.get("csrftoken") or self.cookies.get("csrftoken")
        started = time.perf_counter()
        response = self.http.post(
            form.url, data={**hidden, **data}, headers=HEADERS, cookies=self.cookies, allow_redirects=False
        )
        response.elapsed_ms = (time.perf_counter() - started) * 1000
        return response


def queries(user: User, method: str, path: str, data=None) -> int:
    client = Client()
    client.force_login(user)
    if method == "post":  # as the form sends it: with its submission key
        data = {**data, "submission_key": str(uuid.uuid4())}
    with CaptureQueriesContext(connection) as captured:
        getattr(client, method)(path, data or {}, secure=True)
    return len(captured)


def district_pages(slug: str):
    district = District.objects.get(slug=slug)
    admin = User.objects.get(email=f"admin0@{slug}.test")
    principal_big = User.objects.get(email=f"principal0@{slug}.test")  # School 001: the biggest
    principal_typical = User.objects.get(email=f"principal{district.schools.count() // 2}@{slug}.test")
    coach = User.objects.get(email=f"coach0@{slug}.test")
    program = district.programs.get()
    return district, admin, principal_big, principal_typical, coach, program


def step_to_log(coach: User) -> Challenge:
    challenge = Challenge.objects.filter(enrollment__coach=coach, status="implement").first()
    return challenge


def pages_of(slug: str) -> tuple[list[tuple[str, User, str]], User]:
    _, admin, big, typical, coach, program = district_pages(slug)
    pages = [
        ("floor: standards catalog", coach, "/standards/"),
        ("coach: My coaching", coach, "/dashboard/coach/"),
        ("coach: My growth", coach, "/dashboard/growth/"),
        ("principal: biggest school", big, "/dashboard/school/"),
        ("principal: typical school", typical, "/dashboard/school/"),
        ("district overview", admin, "/dashboard/district/"),
        ("district: schools", admin, "/dashboard/district/schools/"),  # the first page: the biggest schools
        ("district: coaches", admin, "/dashboard/district/coaches/"),
        ("district caseloads", admin, f"/district/caseloads/?program={program.pk}"),
    ]
    return pages, coach


def measure(slugs: list[str], runs: int) -> dict[str, dict[str, dict]]:
    """Every page at every size, {slug: {page: {timings, floor, size, queries}}}. The sizes take turns request by
    request (small, large, small, large, …), and each page's request follows one of the floor's (`floor`: those
    timings), so the machine's drift over the minutes of a run — on a shared machine it moves the floor by a third
    — falls on every size alike, and on a page and the floor it is compared with."""
    plans = {slug: pages_of(slug) for slug in slugs}
    results: dict[str, dict[str, dict]] = {slug: {} for slug in slugs}
    floors = {slug: (Visitor(plans[slug][0][0][1]), plans[slug][0][0][2]) for slug in slugs}

    def timed(visitor: Visitor, path: str) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = visitor.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return (time.perf_counter() - started) * 1000, response

    for i, (name, _, _) in enumerate(plans[slugs[0]][0]):
        visits = {slug: (Visitor(plans[slug][0][i][1]), plans[slug][0][i][2]) for slug in slugs}
        timings: dict[str, list[float]] = {slug: [] for slug in slugs}
        floor: dict[str, list[float]] = {slug: [] for slug in slugs}
        for turn in range(runs + 3):  # 3 warm-ups
            for slug, (visitor, path) in visits.items():
                floor_ms, _ = timed(*floors[slug])
                page_ms, response = timed(visitor, path)
                if turn >= 3:
                    timings[slug].append(page_ms)
                    floor[slug].append(floor_ms)
                results[slug][name] = {"size": len(response.content)}
        for slug, (visitor, path) in visits.items():
            results[slug][name].update(
                timings=timings[slug], floor=floor[slug], queries=queries(visitor.user, "get", path)
            )
    # Logging a step: the plan meeting of the cycle just begun, then removed again (and the rollups with it).
    data = {"done": "on", "date": timezone.localdate().isoformat(), "time": "10:00", "minutes": 30, "notes": "Bench"}
    posts = {}
    for slug in slugs:
        coach = plans[slug][1]
        challenge = step_to_log(coach)
        posts[slug] = (Visitor(coach), f"/challenges/{challenge.pk}/steps/plan_meeting/new/", challenge)
    timings, floor = {slug: [] for slug in slugs}, {slug: [] for slug in slugs}

    def undo(challenge: Challenge) -> None:
        Step.objects.filter(cycle__challenge=challenge, notes="Bench").delete()
        rollups.changed(enrollment_ids=[challenge.enrollment_id], coach_ids=[challenge.enrollment.coach_id])

    for turn in range(runs + 3):
        for slug, (visitor, path, challenge) in posts.items():
            floor_ms, _ = timed(*floors[slug])
            response = visitor.post(path, data)
            assert response.status_code == 302, response.status_code
            if turn >= 3:
                timings[slug].append(response.elapsed_ms)
                floor[slug].append(floor_ms)
            undo(challenge)
    for slug, (visitor, path, challenge) in posts.items():
        count = queries(visitor.user, "post", path, data)
        undo(challenge)
        results[slug]["log a step (POST)"] = {"timings": timings[slug], "floor": floor[slug], "size": 0}
        results[slug]["log a step (POST)"]["queries"] = count
    return results


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, results: dict) -> None:
    """Each page's p50 over the p50 of the floor requests it took turns with (the floor's own row: its first turns)."""
    print(f"\n{label}")
    print(f"  {'page':28} {'p50 ms':>8} {'p95 ms':>8} {'floor ms':>8} {'× floor':>8} {'queries':>8} {'KB':>7}")
    for name, r in results.items():
        p50, floor = statistics.median(r["timings"]), statistics.median(r["floor"])
        print(
            f"  {name:28} {p50:8.1f} {p(r['timings'], 0.95):8.1f} {floor:8.1f} {p50 / floor:8.2f} {r['queries']:8} "
            f"{r['size'] / 1024:7.1f}"
        )


def serve() -> subprocess.Popen:
    env = {**os.environ, **BENCH_ENV}
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}"]
    server = subprocess.Popen([*gunicorn, "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            requests.get(BASE + "/login/", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--teachers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Keep districts a previous run built (no flush).")
    args = parser.parse_args()
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Point DATABASE_URL at a throwaway database whose name contains 'bench': it is emptied first.")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        call_command("flush", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    server = serve()
    try:
        slugs = []
        for steps in args.sizes:
            slug = f"s{steps}"
            started = time.perf_counter()
            if not (args.reuse and District.objects.filter(slug=slug).exists()):
                call_command(
                    "generate_district", schools=args.schools, teachers=args.teachers, steps=steps, slug=slug,
                    verbosity=0,
                )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a live database
            print(f"built {slug}: {steps:,} steps in {time.perf_counter() - started:.0f} s")
            slugs.append(slug)
        measured = measure(slugs, args.runs)
    finally:
        server.terminate()
        server.wait()
    print(f"measured, the sizes taking turns; load average {os.getloadavg()[0]:.1f}")
    rounds = dict(zip(args.sizes, (measured[slug] for slug in slugs), strict=True))
    for steps, results in rounds.items():
        report(f"{steps:,} steps", results)
    small = rounds[min(rounds)]
    for size in sorted(rounds)[1:]:
        large = rounds[size]
        print(f"\nlarge ÷ small ({size:,} ÷ {min(rounds):,} steps; 1.00 = no slower with more data)")
        for name in small:
            ratio = statistics.median(large[name]["timings"]) / statistics.median(small[name]["timings"])
            print(f"  {name:28} {ratio:6.2f}   queries {small[name]['queries']} → {large[name]['queries']}")


if __name__ == "__main__":
    main()
