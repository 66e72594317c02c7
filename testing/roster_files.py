"""Roster files for tests: OneRoster 1.1 CSV rows and zips, and teachers.csv, built in memory."""

import io
import zipfile

from accounts.models import RosterImport
from districts.roster import services as roster

ORGS_HEADER = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"
USERS_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password"
)
TEACHERS_HEADER = "school,name,email,subject,grade_band"
MANIFEST_1_1 = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n"


def org(sid: str, name: str, *, type: str = "school", status: str = "active") -> str:
    return f"{sid},{status},2026-08-01,{name},{type},,district-1"


def user(
    sid, given="Maria", family="Rivera", *, orgs="sch-1", role="teacher", email=None, grades="06,07,08", status=""
):
    email = f"{sid}@example.org" if email is None else email
    return f'{sid},{status},2026-08-01,true,"{orgs}",{role},,,{given},{family},,,{email},,,,"{grades}",'


def csv_file(header: str, rows) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def make_zip(**members: bytes | str) -> bytes:
    """A zip of `orgs=…, users=…, manifest=…`: each becomes <name>.csv."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.csv", data)
    return buffer.getvalue()


def oneroster(orgs=(), users=(), **extra: bytes | str) -> bytes:
    return make_zip(orgs=csv_file(ORGS_HEADER, orgs), users=csv_file(USERS_HEADER, users), **extra)


def run_import(district, payload: bytes, *, kind=RosterImport.Kind.ONEROSTER, filename="roster.zip") -> RosterImport:
    roster_import = RosterImport.objects.create(district=district, kind=kind, filename=filename, payload=payload)
    return roster.import_run(roster_import=roster_import)


def run_teachers_csv(district, rows, *, header=TEACHERS_HEADER, filename="teachers.csv") -> RosterImport:
    payload = make_zip(teachers=csv_file(header, rows))
    return run_import(district, payload, kind=RosterImport.Kind.TEACHERS_CSV, filename=filename)
