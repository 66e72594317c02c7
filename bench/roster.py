"""How long a 10,000-teacher OneRoster import takes: created, then every teacher updated.

DJANGO_SETTINGS_MODULE=config.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadence \
    .venv/bin/python bench/roster.py [teachers]

It works in a throwaway district (deleted at the end, whatever happens) and prints the seconds of
each import, measured around the same service the Celery task calls.
"""

import csv
import io
import sys
import time
import uuid
import zipfile
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from accounts.models import District, RosterImport  # noqa: E402
from coaching.models import Teacher  # noqa: E402
from districts.roster import services as roster  # noqa: E402

SCHOOLS = 60
ORGS = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]
USERS = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds"]
USERS += ["givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds"]
USERS += ["grades", "password"]
GRADES = ["KG,01,02", "03,04,05", "06,07,08", "09,10,11,12", "05,06"]


def _csv(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def oneroster_zip(teachers: int, *, edition: int) -> bytes:
    """A district's roster; each edition renames every teacher and moves a tenth of them."""
    orgs = [[f"sch-{i}", "active", "2026-08-01", f"School {i}", "school", "", "district"] for i in range(SCHOOLS)]
    orgs.append(["district", "active", "2026-08-01", "Benchmark District", "district", "", ""])
    users = [
        [f"t-{i}", "active", "2026-08-01", "true", f"sch-{(i + edition * (i % 10 == 0)) % SCHOOLS},district"]
        + ["teacher", f"user{i}", "", f"Given{i}", f"Family{i}-{edition}", "", "", f"t{i}.{edition}@bench.example"]
        + ["", "", "", GRADES[i % len(GRADES)], ""]
        for i in range(teachers)
    ]
    users += [[f"s-{i}", "active", "2026-08-01", "true", "sch-0", "student", *[""] * 12] for i in range(teachers)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", "propertyName,value\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n")
        archive.writestr("orgs.csv", _csv(ORGS, orgs))
        archive.writestr("users.csv", _csv(USERS, users))
    return buffer.getvalue()


def timed_import(district: District, payload: bytes) -> tuple[float, RosterImport]:
    roster_import = RosterImport.objects.create(district=district, kind="oneroster", filename="b.zip", payload=payload)
    started = time.perf_counter()
    done = roster.import_run(roster_import=roster_import)
    return time.perf_counter() - started, done


def main(teachers: int) -> None:
    district = District.objects.create(name="Roster benchmark", slug=f"bench-roster-{uuid.uuid4().hex[:8]}")
    try:
        for label, edition in (("create", 0), ("update", 1)):
            payload = oneroster_zip(teachers, edition=edition)
            seconds, done = timed_import(district, payload)
            assert done.status == RosterImport.Status.SUCCEEDED, done.errors[:5]
            print(
                f"{label}: {teachers:,} teachers ({len(payload) / 2**20:.1f} MB zip) in {seconds:.2f} s {done.counts}"
            )
        assert Teacher.objects.filter(school__district=district).count() == teachers
    finally:
        district.delete()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
