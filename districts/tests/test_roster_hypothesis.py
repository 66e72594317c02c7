"""Whatever is uploaded, the importer never crashes, and a rejected import changes nothing."""

import csv
import io

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import RosterImport, School
from coaching.models import Teacher
from testing.roster_files import (
    ORGS_HEADER,
    TEACHERS_HEADER,
    USERS_HEADER,
    make_zip,
    oneroster,
    org,
    run_import,
    user,
)

pytestmark = pytest.mark.django_db
Kind, Status = RosterImport.Kind, RosterImport.Status
EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values that mean something to the importer, mixed with anything at all.
IDS = st.sampled_from(["sch-1", "sch-2", "t-1", "t-2", "district-1", "", " sch-1 ", "sch-1,sch-2"])
WORDS = st.sampled_from(["school", "teacher", "student", "district", "tobedeleted", "active", "Lincoln", "06,07"])
EMAILS = st.sampled_from(["a@example.org", "A@EXAMPLE.ORG", "not-an-email", "@", ""])
GRADE_BANDS = st.sampled_from(["middle", "K-5", "9–12", "All", "", "grade 6"])
VALUE = st.one_of(IDS, WORDS, EMAILS, GRADE_BANDS, st.text(max_size=30), st.text(max_size=300).map(lambda s: s * 2))


def _csv(header: str, rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def _rows(columns: int):
    return st.lists(st.lists(VALUE, min_size=0, max_size=columns + 1), max_size=8)


def _snapshot():
    return (
        sorted(School.objects.values_list("pk", "name", "sourced_id")),
        sorted(Teacher.objects.values_list("pk", "school_id", "name", "email", "subject", "grade_band", "sourced_id")),
    )


def _import_checked(district, payload: bytes, kind: str) -> None:
    before = _snapshot()

    done = run_import(district, payload, kind=kind)  # must not raise

    assert done.status in (Status.SUCCEEDED, Status.FAILED) and done.progress == 100
    event(done.status)  # --hypothesis-show-statistics: both outcomes should occur
    if done.status == Status.FAILED:
        assert done.errors and all(set(e) == {"file", "row", "message"} and e["message"] for e in done.errors)
        assert _snapshot() == before


@EXAMPLES
@given(payload=st.binary(max_size=3000), kind=st.sampled_from(Kind.values))
def test_it_survives_any_bytes(cast, payload, kind):
    _import_checked(cast.district, payload, kind)


@EXAMPLES
@given(data=st.data())
def test_it_survives_a_damaged_zip(cast, data):
    payload = bytearray(oneroster([org("sch-1", "Lincoln")], [user("t-1"), user("t-2", orgs="sch-2")]))
    for _ in range(data.draw(st.integers(1, 8))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    _import_checked(cast.district, bytes(payload), Kind.ONEROSTER)


@EXAMPLES
@given(orgs=st.binary(max_size=500), users=st.binary(max_size=500), manifest=st.none() | st.binary(max_size=200))
def test_it_survives_any_bytes_in_the_csv_files(cast, orgs, users, manifest):
    members = {"orgs": orgs, "users": users} | ({"manifest": manifest} if manifest is not None else {})
    _import_checked(cast.district, make_zip(**members), Kind.ONEROSTER)


@EXAMPLES
@given(orgs=_rows(7), users=_rows(18), mode=st.sampled_from(["bulk", "delta", "absent", "weekly"]))
def test_it_survives_any_oneroster_rows(cast, orgs, users, mode):
    manifest = f"propertyName,value\noneroster.version,1.1\nfile.orgs,{mode}\nfile.users,bulk\n"
    payload = make_zip(orgs=_csv(ORGS_HEADER, orgs), users=_csv(USERS_HEADER, users), manifest=manifest)
    _import_checked(cast.district, payload, Kind.ONEROSTER)


@EXAMPLES
@given(rows=_rows(5), header=st.sampled_from([TEACHERS_HEADER, "school,name", "name,school,grade_band", "x,y"]))
def test_it_survives_any_teachers_csv_rows(cast, rows, header):
    _import_checked(cast.district, make_zip(teachers=_csv(header, rows)), Kind.TEACHERS_CSV)
