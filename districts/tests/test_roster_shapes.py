"""Rosters as districts export them: deletions, the org tree, two schools, disabled users, administrators,
OneRoster 1.2 and Microsoft School Data Sync v2. Small rosters of each shape, imported for real."""

import io
import zipfile

import pytest
from django.urls import reverse

from accounts.models import RosterImport
from coaching.models import Enrollment, Teacher
from districts.roster.services import GONE_FROM_BULK
from testing import factories as f
from testing.roster_files import (
    MANIFEST_1_1,
    csv_file,
    make_zip,
    oneroster,
    oneroster_1_2,
    org,
    role_1_2,
    run_import,
    sds,
    user,
    user_1_2,
)

pytestmark = pytest.mark.django_db
Status = RosterImport.Status
SCHOOLS = [org("sch-1", "Lincoln Middle School"), org("sch-2", "Roosevelt Elementary School")]
DELTA_USERS = "propertyName,value\noneroster.version,1.1\nfile.orgs,absent\nfile.users,delta\n"


def _succeeded(done: RosterImport) -> dict:
    assert done.status == Status.SUCCEEDED, done.errors
    return done.counts


def _on_caseload(cast, sourced_id: str) -> Enrollment:
    teacher = Teacher.objects.get(sourced_id=sourced_id)
    return f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=teacher)


# --- deletions ---------------------------------------------------------------------------------------------


def test_it_ends_the_caseloads_of_a_teacher_a_delta_marks_tobedeleted_and_names_them(cast):
    _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho")])))
    enrollment = _on_caseload(cast, "t-2")

    delta = make_zip(manifest=DELTA_USERS, users=csv_file(
        "sourcedId,status,enabledUser,orgSourcedIds,role,givenName,familyName,email",
        ["t-2,tobedeleted,true,sch-1,teacher,Ben,Cho,t-2@example.org"],
    ))  # fmt: skip
    counts = _succeeded(run_import(cast.district, delta))

    assert counts["left"] == [{"name": "Ben Cho", "reason": "marked tobedeleted in users.csv", "caseloads_ended": 1}]
    enrollment.refresh_from_db()
    assert enrollment.ends_on is not None  # off the caseload ...
    assert Teacher.objects.filter(sourced_id="t-2").exists()  # ... and the record stays until erased
    assert Enrollment.objects.active().filter(teacher__sourced_id="t-1").count() == 0  # nobody else touched
    assert Teacher.objects.filter(sourced_id="t-1").exists()  # a delta lists changes only: t-1 stays


def test_it_ends_the_caseloads_of_a_teacher_a_bulk_roster_no_longer_lists(cast):
    _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho")])))
    gone, stays = _on_caseload(cast, "t-2"), _on_caseload(cast, "t-1")

    counts = _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez")])))

    assert counts["left"] == [{"name": "Ben Cho", "reason": GONE_FROM_BULK, "caseloads_ended": 1}]
    gone.refresh_from_db(), stays.refresh_from_db(), cast.enrollment.refresh_from_db()
    assert gone.ends_on is not None and stays.ends_on is None
    assert cast.enrollment.ends_on is None  # Maria was entered by hand, never rostered: not the roster's to end
    again = _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez")])))
    assert again["left"] == [{"name": "Ben Cho", "reason": GONE_FROM_BULK, "caseloads_ended": 0}]  # still named
    assert Teacher.objects.filter(school__district=cast.district).count() == 3  # nothing duplicated


def test_it_ends_nothing_when_the_import_is_rejected(cast):
    _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho")])))
    enrollment = _on_caseload(cast, "t-2")

    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez", email="not-an-address")]))

    assert done.status == Status.FAILED
    enrollment.refresh_from_db()
    assert enrollment.ends_on is None  # all or nothing: the departure was part of the plan


# --- the org tree, two schools, disabled users, administrators ----------------------------------------------


def test_it_follows_a_department_up_to_its_school(cast):
    orgs = [
        *SCHOOLS,
        org("dept-sci", "Science", type="department", parent="sch-2"),
        org("dept-bio", "Biology", type="department", parent="dept-sci"),
        org("dept-d", "District office", type="department", parent="district-1"),
        org("district-1", "Riverside", type="district", parent=""),
    ]
    users = [user("t-1", orgs="dept-sci"), user("t-2", orgs="dept-bio"), user("t-3", orgs="dept-d")]

    done = run_import(cast.district, oneroster(orgs, users))

    assert [(e["row"], e["message"]) for e in done.errors] == [
        (4, "None of the orgs in orgSourcedIds (dept-d) is a school or belongs to one.")
    ]
    users.pop()
    _succeeded(run_import(cast.district, oneroster(orgs, users)))
    assert {t.sourced_id: t.school.name for t in Teacher.objects.exclude(sourced_id="")} == {
        "t-1": "Roosevelt Elementary School",
        "t-2": "Roosevelt Elementary School",
    }


def test_it_keeps_a_teacher_of_two_schools_at_the_first_and_says_so(cast):
    counts = _succeeded(
        run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez", orgs="sch-2,sch-1")]))
    )

    assert Teacher.objects.get(sourced_id="t-1").school.name == "Roosevelt Elementary School"
    assert counts["notes"] == [
        "Ana Lopez teaches at 2 schools; Cadence keeps a teacher at one school, so Ana Lopez is at Roosevelt "
        "Elementary School (listed first), not at Lincoln Middle School."
    ]


def test_it_treats_a_disabled_user_as_gone(cast):
    _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez")])))
    enrollment = _on_caseload(cast, "t-1")

    users = [user("t-1", "Ana", "Lopez", enabled="false"), user("t-2", "Ben", "Cho", enabled="FALSE")]
    counts = _succeeded(run_import(cast.district, oneroster(SCHOOLS, users)))

    assert not Teacher.objects.filter(sourced_id="t-2").exists()  # not added
    enrollment.refresh_from_db()
    assert enrollment.ends_on is not None
    assert counts["left"] == [
        {"name": "Ana Lopez", "reason": "enabledUser is false in users.csv", "caseloads_ended": 1}
    ]
    assert "2 teachers with enabledUser=false were treated as gone" in counts["notes"][0]


def test_it_lists_the_rosters_administrators_as_principals_to_invite(cast):
    users = [
        user("a-1", "Pat", "Reyes", role="administrator", orgs="sch-2", email="Pat.Reyes@example.org"),
        user("a-2", "Paula", "Known", role="administrator", orgs="sch-1", email="paula@example.org"),  # in Cadence
        user("a-3", "No", "Mail", role="administrator", orgs="sch-1", email=""),
        user("t-1", "Ana", "Lopez"),
    ]

    counts = _succeeded(run_import(cast.district, oneroster(SCHOOLS, users, manifest=MANIFEST_1_1)))

    assert counts["principals_to_invite"] == [
        {"name": "Pat Reyes", "email": "pat.reyes@example.org", "schools": ["Roosevelt Elementary School"]}
    ]
    assert counts["teachers_created"] == 1  # administrators are not teachers
    assert "No Mail (administrator) has no usable e-mail address" in counts["notes"][0]
    assert "see “Principals to invite”. Cadence invites nobody by itself" in counts["notes"][1]


# --- OneRoster 1.2 ---------------------------------------------------------------------------------------------


def test_it_imports_oneroster_1_2_with_roles_in_roles_csv(cast):
    users = [user_1_2("t-1", "Ana", "Lopez"), user_1_2("a-1", "Pat", "Reyes"), user_1_2("s-1", "Stu", "Dent")]
    roles = [
        role_1_2("t-1", "sch-1", primary=False),
        role_1_2("t-1", "sch-2", primary=True),  # the primary school comes first, wherever it is listed
        role_1_2("a-1", "sch-1", "principal"),
        role_1_2("s-1", "sch-1", "student"),
    ]

    counts = _succeeded(run_import(cast.district, oneroster_1_2(SCHOOLS, users, roles)))

    assert counts["format"] == "OneRoster 1.2"
    assert [(t.name, t.school.name) for t in Teacher.objects.exclude(sourced_id="")] == [
        ("Ana Lopez", "Roosevelt Elementary School")
    ]
    assert counts["principals_to_invite"][0]["email"] == "a-1@example.org"
    again = _succeeded(run_import(cast.district, oneroster_1_2(SCHOOLS, users, roles)))
    assert (again["teachers_created"], again["teachers_updated"]) == (0, 0)  # re-import duplicates nothing


def test_it_asks_for_the_roles_csv_of_a_oneroster_1_2_roster(cast):
    payload = oneroster_1_2(SCHOOLS, [user_1_2("t-1")])
    payload = make_zip(**{name: data for name, data in _members(payload).items() if name != "roles"})

    done = run_import(cast.district, payload)

    assert [e["message"] for e in done.errors] == ["The manifest lists roles.csv as bulk, but it is not there."]


def _members(payload: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name.removesuffix(".csv"): archive.read(name) for name in archive.namelist()}


# --- Microsoft School Data Sync v2 ---------------------------------------------------------------------------


def test_it_maps_school_data_sync_files_and_says_what_they_lack(cast):
    orgs = ["sch-1,Lincoln Middle School,school,", "sch-2,Roosevelt Elementary School,school,"]
    users = ["u-1,ana.lopez@riverside.org,Ana,Lopez,7", "u-2,bcho,Ben,Cho,3", "u-3,stu@riverside.org,Stu,Dent,7"]
    roles = [
        "u-1,sch-1,teacher,,7,true,,",
        "u-2,sch-2,teacher,,3,true,,",
        "u-3,sch-1,student,,7,true,,",
    ]

    counts = _succeeded(run_import(cast.district, sds(orgs, users, roles)))

    teachers = {t.name: t for t in Teacher.objects.exclude(sourced_id="")}
    assert sorted(teachers) == ["Ana Lopez", "Ben Cho"]
    assert (teachers["Ana Lopez"].email, teachers["Ana Lopez"].grade_band) == ("ana.lopez@riverside.org", "middle")
    assert (teachers["Ben Cho"].email, teachers["Ben Cho"].school.name) == ("", "Roosevelt Elementary School")
    assert counts["format"] == "School Data Sync v2"
    assert "read as OneRoster" in counts["notes"][0] and "complete roster" in counts["notes"][0]
    assert counts["notes"][1] == (
        "users.csv has no email column: each teacher's e-mail is their username where that is an address; "
        "1 teacher has none."
    )
    enrollment = _on_caseload(cast, "u-2")
    _succeeded(run_import(cast.district, sds(orgs, users[:1], roles[:1])))  # complete: Ben has left
    enrollment.refresh_from_db()
    assert enrollment.ends_on is not None


def test_it_shows_leavers_principals_and_decisions_on_the_import_page(client, cast):
    _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho")])))
    _on_caseload(cast, "t-2")
    users = [
        user("t-1", "Ana", "Lopez", orgs="sch-1,sch-2"),
        user("a-1", "Pat", "Reyes", role="administrator", orgs="sch-2", email="pat@example.org"),
    ]
    done = run_import(cast.district, oneroster(SCHOOLS, users))
    client.force_login(cast.dana)

    page = client.get(reverse("rosters:detail", kwargs={"import_id": done.pk})).content.decode()

    assert "Teachers who left" in page and "Ben Cho: no longer in users.csv" in page and "1 caseload ended" in page
    assert "Principals to invite" in page and "Pat Reyes &lt;pat@example.org&gt;, Roosevelt Elementary School" in page
    assert "Ana Lopez teaches at 2 schools" in page


def test_it_cancels_the_scheduled_steps_of_a_teacher_who_left(
    cast, implementing_challenge, tomorrow_at_ten, django_capture_on_commit_callbacks, mailoutbox
):
    from coaching import services as coaching
    from coaching.models import Step

    Teacher.objects.filter(pk=cast.teacher.pk).update(sourced_id="t-9")  # Maria came from the roster
    with django_capture_on_commit_callbacks(execute=True):
        coaching.step_log(
            challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, done=False, starts_at=tomorrow_at_ten,
            minutes=45,
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        counts = _succeeded(run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez")])))

    assert counts["left"] == [{"name": "Maria Rivera", "reason": GONE_FROM_BULK, "caseloads_ended": 1}]
    assert ["METHOD:CANCEL" in m.message().as_string() for m in mailoutbox] == [False, True]
