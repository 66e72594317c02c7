import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, RosterImport, School
from coaching.models import Teacher
from districts.roster import services as roster
from districts.roster.checks import MAX_ERRORS, grade_band
from districts.roster.forms import RosterUploadForm
from districts.tasks import import_roster
from testing import factories as f
from testing.roster_files import (
    MANIFEST_1_1,
    USERS_HEADER,
    csv_file,
    make_zip,
    oneroster,
    org,
    run_import,
    run_teachers_csv,
    user,
)

pytestmark = pytest.mark.django_db
Status = RosterImport.Status
SCHOOLS = [org("sch-1", "Lincoln Middle School"), org("sch-2", "Roosevelt Elementary School")]


def _errors(roster_import: RosterImport) -> list[tuple]:
    assert roster_import.status == Status.FAILED
    return [(e["file"], e["row"], e["message"]) for e in roster_import.errors]


def _riverside_teachers(cast):
    return Teacher.objects.filter(school__district=cast.district).exclude(pk=cast.teacher.pk)


# --- OneRoster: what is imported -------------------------------------------------------------


def test_it_imports_the_schools_and_teachers_of_a_oneroster_zip(cast):
    users = [
        user("t-1", "Ana", "Lopez", orgs="sch-1", grades="06,07"),
        user("t-2", "Ben", "Cho", orgs="district-1,sch-2", grades="KG,01", email=""),
        user("s-1", "Stu", "Dent", role="student", orgs="sch-1"),
    ]
    orgs = [*SCHOOLS, org("district-1", "Riverside Unified", type="district")]

    done = run_import(cast.district, oneroster(orgs, users, manifest=MANIFEST_1_1))

    assert done.status == Status.SUCCEEDED and done.progress == 100 and done.finished_at
    assert done.counts == {
        "schools_created": 1,  # Lincoln Middle School already exists: it is adopted by name
        "schools_updated": 1,
        "teachers_created": 2,
        "teachers_updated": 0,
        "skipped": 0,
        "skipped_rows": [],
    }
    ana, ben = _riverside_teachers(cast).order_by("name").select_related("school")
    assert (ana.name, ana.email, ana.school, ana.grade_band, ana.sourced_id) == (
        "Ana Lopez",
        "t-1@example.org",
        cast.school,
        "middle",
        "t-1",
    )
    assert (ben.school.name, ben.school.sourced_id, ben.email, ben.grade_band) == (
        "Roosevelt Elementary School",
        "sch-2",
        "",
        "elementary",
    )
    cast.school.refresh_from_db()
    assert cast.school.sourced_id == "sch-1"


@pytest.mark.parametrize(
    ("grades", "band"),
    [
        ("KG,01,02,03,04,05", "elementary"),
        ("06,07,08", "middle"),
        ("9,10,11,12", "high"),
        ("05,06", "all"),
        ("PK,12", "all"),
        ("", None),
        ("UG,Other", None),
    ],
)
def test_it_turns_oneroster_grades_into_a_grade_band(grades, band):
    assert grade_band(grades) == band


def test_it_updates_on_reimport_instead_of_duplicating(cast):
    run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho")]))
    renamed = [org("sch-1", "Lincoln Middle"), SCHOOLS[1]]
    users = [user("t-1", "Ana", "López-Ruiz", email="ana@riverside.example"), user("t-2", "Ben", "Cho")]

    again = run_import(cast.district, oneroster(renamed, users))

    assert again.counts == {
        "schools_created": 0,
        "schools_updated": 1,
        "teachers_created": 0,
        "teachers_updated": 1,
        "skipped": 0,
        "skipped_rows": [],
    }
    assert _riverside_teachers(cast).count() == 2
    ana = Teacher.objects.get(sourced_id="t-1")
    assert (ana.name, ana.email, ana.school.name) == ("Ana López-Ruiz", "ana@riverside.example", "Lincoln Middle")


def test_it_moves_a_teacher_who_changed_school(cast):
    run_import(cast.district, oneroster(SCHOOLS, [user("t-1", orgs="sch-1")]))

    moved = run_import(cast.district, oneroster(SCHOOLS, [user("t-1", orgs="sch-2")]))

    assert moved.counts["teachers_updated"] == 1
    assert Teacher.objects.get(sourced_id="t-1").school.sourced_id == "sch-2"


def test_it_adopts_a_teacher_entered_by_hand_through_their_email(cast):
    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-9", "Maria", "Rivera", email="Maria@example.org")]))

    assert done.counts["teachers_created"] == 0
    cast.teacher.refresh_from_db()
    assert cast.teacher.sourced_id == "t-9"


def test_it_skips_and_counts_rows_marked_tobedeleted(cast):
    orgs = [*SCHOOLS, org("sch-3", "Closed School", status="tobedeleted")]
    users = [user("t-1"), user("t-2", status="tobedeleted"), user("s-1", role="student", status="tobedeleted")]

    done = run_import(cast.district, oneroster(orgs, users))

    assert done.counts["skipped"] == 2
    assert done.counts["skipped_rows"] == [
        {"file": "orgs.csv", "row": 4, "name": "Closed School", "kind": "school"},
        {"file": "users.csv", "row": 3, "name": "Maria Rivera", "kind": "teacher"},
    ]
    assert list(_riverside_teachers(cast).values_list("sourced_id", flat=True)) == ["t-1"]
    assert not School.objects.filter(name="Closed School").exists()


def test_it_names_what_it_left_out_on_the_result_page(client, cast):
    users = [user("t-1"), user("t-2", "Ada", "Lovelace", status="tobedeleted")]
    done = run_import(cast.district, oneroster(SCHOOLS, users))
    client.force_login(cast.dana)

    page = client.get(reverse("rosters:detail", args=[done.pk])).content.decode()

    heading = re.search(r'id="import-status-heading">(.*?)</h2>', page, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", heading).split()) == "Imported 2 schools and 1 teacher"
    assert "Skipped (tobedeleted)" not in page
    assert '<td>users.csv</td><td>3</td><th scope="row">Ada Lovelace</th><td>Teacher</td>' in page


def test_it_leaves_another_district_alone(cast):
    elsewhere = cast.oscar.membership.district
    theirs = f.TeacherFactory(school=f.SchoolFactory(district=elsewhere, sourced_id="sch-1"), sourced_id="t-1")

    run_import(cast.district, oneroster(SCHOOLS, [user("t-1", "Ana", "Lopez")]))

    theirs.refresh_from_db()
    assert theirs.name != "Ana Lopez" and Teacher.objects.filter(sourced_id="t-1").count() == 2


# --- OneRoster: the manifest -----------------------------------------------------------------


def test_it_does_not_require_a_file_the_manifest_says_is_absent(cast):
    f.SchoolFactory(district=cast.district, name="Roosevelt", sourced_id="sch-2")
    manifest = MANIFEST_1_1.replace("file.orgs,bulk", "file.orgs,absent")
    payload = make_zip(manifest=manifest, users=csv_file(USERS_HEADER, [user("t-1", orgs="sch-2")]))

    done = run_import(cast.district, payload)

    assert done.status == Status.SUCCEEDED
    assert Teacher.objects.get(sourced_id="t-1").school.name == "Roosevelt"


def test_it_ignores_a_file_the_manifest_says_is_absent(cast):
    manifest = MANIFEST_1_1.replace("file.users,bulk", "file.users,absent")

    done = run_import(cast.district, oneroster(SCHOOLS, ["not,a,valid,row"], manifest=manifest))

    assert done.status == Status.SUCCEEDED and done.counts["teachers_created"] == 0


@pytest.mark.parametrize(
    ("manifest", "error"),
    [
        (
            MANIFEST_1_1.replace("oneroster.version,1.1", "oneroster.version,1.0"),
            ("manifest.csv", 3, "This is a OneRoster 1.0 roster: export it as OneRoster 1.1 or 1.2 CSV."),
        ),
        (
            MANIFEST_1_1.replace("file.users,bulk", "file.users,sometimes"),
            ("manifest.csv", 5, "file.users must be bulk, delta or absent, not “sometimes”."),
        ),
        (
            "property,val\nfile.orgs,bulk\n",
            (
                "manifest.csv",
                1,
                "manifest.csv is missing the columns propertyName, value (its first row has property, val).",
            ),
        ),
        (
            MANIFEST_1_1 + "file.orgs,delta\n",
            ("manifest.csv", 6, "The property file.orgs is already set on row 4."),
        ),
    ],
    ids=["version", "mode", "columns", "duplicate"],
)
def test_it_rejects_a_malformed_manifest(cast, manifest, error):
    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-1")], manifest=manifest))

    assert _errors(done) == [error]


def test_it_requires_a_file_the_manifest_lists(cast):
    payload = make_zip(manifest=MANIFEST_1_1, orgs=csv_file("sourcedId,name,type", ["sch-1,Lincoln,school"]))

    assert _errors(run_import(cast.district, payload)) == [
        ("manifest.csv", 5, "The manifest lists users.csv as bulk, but it is not there.")
    ]


def test_it_requires_orgs_and_users_without_a_manifest(cast):
    payload = make_zip(users=csv_file(USERS_HEADER, [user("t-1")]))

    assert _errors(run_import(cast.district, payload)) == [
        ("roster.zip", None, "The upload has no orgs.csv: a OneRoster roster needs orgs.csv and users.csv.")
    ]


# --- OneRoster: every problem, with its file and row -----------------------------------------


def test_it_names_the_missing_columns_of_each_file(cast):
    payload = make_zip(orgs="sourcedId,name\nsch-1,Lincoln\n", users="sourcedId,role,email\nt-1,teacher,a@b.org\n")

    assert _errors(run_import(cast.district, payload)) == [
        ("orgs.csv", 1, "orgs.csv is missing the column type (its first row has sourcedId, name)."),
        (
            "users.csv",
            1,
            "users.csv is missing the columns orgSourcedIds, givenName, familyName (its first row has sourcedId, role, "
            "email).",
        ),
    ]


def test_it_lists_every_row_problem_with_its_file_and_row(cast):
    orgs = [*SCHOOLS, org("sch-1", "Lincoln again"), org("sch-4", ""), org("", "No id")]
    users = [
        user("t-1"),  # row 2
        user("t-1", "Twin"),  # row 3: duplicate
        user("t-3", email="maria@"),
        user("t-4", given="", family=""),
        user("t-5", orgs="sch-404"),
        user("t-6", orgs="district-1"),
        user("t-7", orgs=""),
        user("", "No", "Id"),
    ]
    orgs.append(org("district-1", "Riverside", type="district"))

    assert _errors(run_import(cast.district, oneroster(orgs, users))) == [
        ("orgs.csv", 4, "sourcedId “sch-1” is already used on row 2."),
        ("orgs.csv", 5, "The school has no name."),
        ("orgs.csv", 6, "sourcedId is empty."),
        ("users.csv", 3, "sourcedId “t-1” is already used on row 2."),
        ("users.csv", 4, "“maria@” is not a valid e-mail address."),
        ("users.csv", 5, "The teacher has no name: givenName and familyName are both empty."),
        ("users.csv", 6, "orgSourcedIds refers to “sch-404”, an org neither in orgs.csv nor already in Cadence."),
        ("users.csv", 7, "None of the orgs in orgSourcedIds (district-1) is a school or belongs to one."),
        ("users.csv", 8, "orgSourcedIds is empty: every teacher needs a school."),
        ("users.csv", 9, "sourcedId is empty."),
    ]


def test_it_counts_rows_as_a_spreadsheet_does(cast):
    # A blank line is still a row; a quoted value spanning lines is one row.
    users = csv_file(USERS_HEADER, [user("t-1"), "", user("t-2", given='"Multi\nLine"'), user("")])
    payload = make_zip(orgs=csv_file("sourcedId,name,type", ["sch-1,Lincoln,school"]), users=users)

    assert _errors(run_import(cast.district, payload)) == [("users.csv", 5, "sourcedId is empty.")]


def test_it_rejects_a_file_that_is_not_utf8(cast):
    users = csv_file(USERS_HEADER, [user("t-1"), user("t-2", "José", "Núñez")]).decode().encode("latin-1")

    assert _errors(run_import(cast.district, _with_users(users))) == [
        ("users.csv", 3, "users.csv is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")
    ]


def _with_users(users: bytes) -> bytes:
    return make_zip(orgs=csv_file("sourcedId,name,type", ["sch-1,Lincoln,school"]), users=users)


def test_it_reads_utf8_with_a_byte_order_mark(cast):
    users = "\ufeff".encode() + csv_file(USERS_HEADER, [user("t-1", "José", "Núñez")])

    assert run_import(cast.district, _with_users(users)).status == Status.SUCCEEDED
    assert Teacher.objects.get(sourced_id="t-1").name == "José Núñez"


def test_it_rejects_a_file_that_is_not_a_zip(cast):
    done = run_import(cast.district, b"PK\x03\x04 but not really", filename="roster.zip")

    assert _errors(done) == [
        ("roster.zip", None, "roster.zip is not a zip file Cadence can open: upload the OneRoster .zip export.")
    ]


def test_it_lists_no_more_than_a_thousand_problems(cast):
    users = [user(f"t-{i}", email="nope") for i in range(MAX_ERRORS + 5)]

    done = run_import(cast.district, oneroster(SCHOOLS, users))

    assert len(done.errors) == MAX_ERRORS + 1 and done.errors[-1]["message"] == "… and 5 more problems."
    assert done.counts == {"problems": MAX_ERRORS + 5}


# --- all or nothing --------------------------------------------------------------------------


def test_it_writes_nothing_when_one_row_of_a_hundred_is_wrong(cast):
    users = [user(f"t-{i}", f"Teacher{i}", "Smith") for i in range(100)]
    users[57] = user("t-57", email="not-an-email")
    schools_before = School.objects.count()

    done = run_import(cast.district, oneroster(SCHOOLS, users))

    assert _errors(done) == [("users.csv", 59, "“not-an-email” is not a valid e-mail address.")]
    assert School.objects.count() == schools_before
    assert not _riverside_teachers(cast).exists()
    cast.school.refresh_from_db()
    assert cast.school.sourced_id == ""


def test_it_rolls_back_everything_when_the_write_fails(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Teacher.objects, "bulk_create", broken)
    roster_import = RosterImport.objects.create(
        district=cast.district,
        kind=RosterImport.Kind.ONEROSTER,
        filename="r.zip",
        payload=oneroster(SCHOOLS, [user("t-1")]),
    )

    import_roster(roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == Status.FAILED and "saved nothing" in roster_import.errors[0]["message"]
    assert not School.objects.filter(sourced_id="sch-2").exists()


def test_it_does_not_run_a_finished_import_again(cast):
    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-1")]))
    Teacher.objects.filter(sourced_id="t-1").delete()

    roster.import_run(roster_import=done)  # a task delivered twice

    assert not Teacher.objects.filter(sourced_id="t-1").exists()


def test_it_saves_progress_in_steps_of_five_points(cast, django_assert_num_queries):
    roster_import = RosterImport.objects.create(district=cast.district, kind="oneroster", filename="r.zip", payload=b"")
    progress = roster.Progress(roster_import)

    with django_assert_num_queries(11):  # 5 %, 10 %, … 55 %
        for done in range(1000):
            progress.rows(done, 1000)
    roster_import.refresh_from_db()
    assert roster_import.progress == 55


# --- teachers.csv ----------------------------------------------------------------------------


def test_it_imports_a_teachers_csv_creating_new_schools(cast):
    rows = [
        "Lincoln Middle School,Maria Rivera,maria@example.org,Biology,6-8",
        "Roosevelt Elementary,Sam Okafor,,Grade 3,K-5",
        "Roosevelt Elementary,Lee Park,lee@example.org,,",
    ]

    done = run_teachers_csv(cast.district, rows)

    assert done.counts == {
        "schools_created": 1,
        "schools_updated": 0,
        "teachers_created": 2,
        "teachers_updated": 1,
        "skipped": 0,
        "skipped_rows": [],
    }
    cast.teacher.refresh_from_db()
    assert (cast.teacher.subject, cast.teacher.grade_band) == ("Biology", "middle")
    sam = Teacher.objects.get(name="Sam Okafor")
    assert (sam.school.name, sam.grade_band, sam.email) == ("Roosevelt Elementary", "elementary", "")


def test_it_matches_teachers_csv_rows_by_email_else_by_name(cast):
    run_teachers_csv(cast.district, ["Lincoln Middle School,Sam Okafor,,Math,middle"])

    again = run_teachers_csv(
        cast.district,
        ["Lincoln Middle School,Maria R. Rivera,MARIA@example.org,,", "Lincoln Middle School,Sam Okafor,,Algebra,"],
    )

    assert again.counts["teachers_created"] == 0 and again.counts["teachers_updated"] == 2
    cast.teacher.refresh_from_db()
    assert cast.teacher.name == "Maria R. Rivera"
    assert Teacher.objects.get(name="Sam Okafor").subject == "Algebra"


def test_it_keeps_what_a_teachers_csv_has_no_column_for(cast):
    run_teachers_csv(cast.district, ["Lincoln Middle School,Maria Rivera"], header="school,name")

    cast.teacher.refresh_from_db()
    assert (cast.teacher.email, cast.teacher.subject, cast.teacher.grade_band) == (
        "maria@example.org",
        "Science",
        "middle",
    )


def test_it_lists_every_problem_of_a_teachers_csv(cast):
    rows = [
        ",Nobody,,,",
        "Lincoln Middle School,,,,",
        "Lincoln Middle School,Ann,ann@,,",
        "Lincoln Middle School,Bo,bo@example.org,,grade 6",
        "Lincoln Middle School,Bo Again,BO@example.org,,",
        "Lincoln Middle School,Cy,,,",
        "Lincoln Middle School,Cy,,,",
    ]

    done = run_teachers_csv(cast.district, rows, filename="staff.csv")

    assert _errors(done) == [
        ("staff.csv", 2, "school is empty: give the school's name as Cadence shows it."),
        ("staff.csv", 3, "name is empty."),
        ("staff.csv", 4, "“ann@” is not a valid e-mail address."),
        (
            "staff.csv",
            5,
            "grade_band “grade 6” is not one of elementary, middle, high, all (or K-5, 6-8, 9-12), or blank.",
        ),
        ("staff.csv", 8, "Cy at Lincoln Middle School is already on row 7."),
    ]
    assert Teacher.objects.count() == 1


def test_it_names_the_columns_a_teachers_csv_lacks(cast):
    done = run_teachers_csv(cast.district, ["x,y"], header="School Name,Teacher", filename="staff.csv")

    assert _errors(done) == [
        ("staff.csv", 1, "staff.csv is missing the columns school, name (its first row has School Name, Teacher).")
    ]


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def riverside_import(cast):
    return RosterImport.objects.create(
        district=cast.district, uploaded_by=cast.dana, kind="oneroster", filename="roster.zip", payload=b"zip"
    )


def _urls(roster_import):
    return [
        reverse("rosters:index"),
        reverse("rosters:detail", args=[roster_import.pk]),
        reverse("rosters:progress", args=[roster_import.pk]),
    ]


def test_it_serves_the_roster_pages_to_district_admins_only(client, cast, riverside_import):
    for url in _urls(riverside_import):
        assert client.get(url).status_code == 302 and "/login/" in client.get(url)["Location"]
        for outsider in (cast.alice, cast.paula, cast.oscar):
            client.force_login(outsider)
            assert client.get(url).status_code == 403, (url, outsider)
        client.force_login(cast.dana)
        assert client.get(url).status_code == 200
        client.logout()


def test_it_hides_another_districts_imports(client, cast):
    elsewhere = cast.oscar.membership.district
    theirs = RosterImport.objects.create(district=elsewhere, kind="oneroster", filename="theirs.zip", payload=b"")
    client.force_login(cast.dana)

    for url in _urls(theirs)[1:]:
        assert client.get(url).status_code == 404
    assert "theirs.zip" not in client.get(reverse("rosters:index")).content.decode()


def _upload(client, *files, capture):
    with capture(execute=True):
        return client.post(reverse("rosters:index"), {"files": list(files)})


def test_it_imports_an_upload_through_the_task_and_logs_it(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.dana)
    upload = SimpleUploadedFile("export.zip", oneroster(SCHOOLS, [user("t-1")]), "application/zip")

    response = _upload(client, upload, capture=django_capture_on_commit_callbacks)

    roster_import = RosterImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rosters:detail", args=[roster_import.pk])
    assert (roster_import.status, roster_import.kind, roster_import.uploaded_by) == (
        "succeeded",
        "oneroster",
        cast.dana,
    )
    assert Teacher.objects.filter(sourced_id="t-1").exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert (event.actor, event.district, event.details) == (
        cast.dana,
        cast.district,
        {"roster_import": roster_import.pk},
    )
    page = client.get(response["Location"]).content.decode()
    assert "Imported" in page and "1 added, 0 updated" in page


def test_it_bundles_separate_oneroster_files(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.dana)
    orgs = SimpleUploadedFile("orgs.csv", csv_file("sourcedId,name,type", ["sch-1,Lincoln,school"]))
    users = SimpleUploadedFile("Users.CSV", csv_file(USERS_HEADER, [user("t-1")]))

    _upload(client, orgs, users, capture=django_capture_on_commit_callbacks)

    roster_import = RosterImport.objects.get()
    assert (roster_import.kind, roster_import.filename, roster_import.status) == (
        "oneroster",
        "orgs.csv, Users.CSV",
        "succeeded",
    )


def test_it_takes_one_csv_as_teachers_csv(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.dana)
    upload = SimpleUploadedFile("staff.csv", b"school,name\nLincoln Middle School,Lee Park\n")

    _upload(client, upload, capture=django_capture_on_commit_callbacks)

    assert RosterImport.objects.get().kind == "teachers_csv"
    assert Teacher.objects.filter(name="Lee Park", school=cast.school).exists()


def test_it_refuses_an_upload_over_50_mb_before_reading_it():
    upload = SimpleUploadedFile("export.zip", b"small")
    upload.size = 50 * 2**20 + 1  # what the upload declares; the form must not read it to find out

    form = RosterUploadForm(data={}, files={"files": upload})
    assert form.errors == {
        "files": [
            "The upload is 50.0 MB: the limit is 50 MB. Cadence reads only manifest.csv, orgs.csv and users.csv: "
            "upload those on their own."
        ]
    }
    assert upload.tell() == 0


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["roster.xlsx"], "roster.xlsx is not a .zip or .csv file. From Excel, use Save As → “CSV UTF-8”."),
        (["a.csv", "b.csv"], "Upload one OneRoster .zip, or its orgs.csv and users.csv (and manifest.csv) together"),
    ],
)
def test_it_explains_an_upload_it_cannot_take(client, cast, names, message):
    client.force_login(cast.dana)

    response = client.post(reverse("rosters:index"), {"files": [SimpleUploadedFile(n, b"x") for n in names]})

    assert response.status_code == 200 and message in response.content.decode()
    assert not RosterImport.objects.exists()


def test_it_lists_the_imports_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.dana)
    run_import(cast.district, oneroster(SCHOOLS, [user("t-1")]))
    client.get(reverse("rosters:index"))  # warm up: the session, the membership

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("rosters:index"))
    for _ in range(5):
        run_import(cast.district, b"not a zip")
    with django_assert_num_queries(len(small)):
        page = client.get(reverse("rosters:index")).content.decode()
    assert page.count("nothing saved") == 5


def test_it_shows_the_problems_of_a_rejected_import(client, cast):
    done = run_import(cast.district, oneroster(SCHOOLS, [user("t-1"), user("t-1")]))
    client.force_login(cast.dana)

    page = client.get(reverse("rosters:detail", args=[done.pk])).content.decode()

    assert "Nothing was imported" in page and "One problem stopped the import" in page
    assert '<td>users.csv</td><th scope="row">3</th><td>sourcedId “t-1” is already used on row 2.</td>' in page
    assert "hx-trigger" not in page


def test_it_polls_the_progress_until_the_import_is_done(client, cast, riverside_import):
    client.force_login(cast.dana)
    url = reverse("rosters:progress", args=[riverside_import.pk])
    RosterImport.objects.filter(pk=riverside_import.pk).update(status=Status.RUNNING, progress=35)

    partial = client.get(url).content.decode()

    assert 'hx-trigger="every 1s"' in partial and 'hx-swap="outerHTML"' in partial
    assert 'role="progressbar"' in partial and 'aria-valuenow="35"' in partial and "35% done" in partial
    assert f'hx-get="{url}?seen=running-35"' in partial
    assert client.get(url, {"seen": "running-35"}).status_code == 204
    roster.import_run(roster_import=RosterImport.objects.get(pk=riverside_import.pk))
    finished = client.get(url, {"seen": "running-35"}, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished and "Nothing was imported" in finished
    assert '<span id="import-announce" hx-swap-oob="innerHTML">The import was rejected: 1 problem' in finished


def test_it_keeps_a_refresh_link_for_browsers_without_javascript(client, cast, riverside_import):
    client.force_login(cast.dana)

    page = client.get(reverse("rosters:detail", args=[riverside_import.pk])).content.decode()

    assert f'href="{reverse("rosters:detail", args=[riverside_import.pk])}">Refresh</a>' in page
