"""Roster files for tests, built in memory: OneRoster 1.1 and 1.2 CSV rows and zips, Microsoft School Data
Sync v2 files, and teachers.csv. The headers are the specifications' (OneRoster 1.1/1.2 CSV binding,
SDS v2.1 CSV format), so the tests read what a district's export holds."""

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


MANIFEST_1_2 = (
    "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\nfile.users,bulk\n"
    "file.roles,bulk\n"
)
USERS_1_2_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,"
    "email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,"
    "preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns"
)
ROLES_1_2_HEADER = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId"
)
SDS_ORGS_HEADER = "sourcedId,name,type,parentSourcedId"
SDS_USERS_HEADER = "sourcedId,username,givenName,familyName,grade"
SDS_ROLES_HEADER = "userSourcedId,orgSourcedId,role,sessionSourcedIds,grade,isPrimary,roleStartDate,roleEndDate"


def org(sid: str, name: str, *, type: str = "school", status: str = "active", parent: str = "district-1") -> str:
    return f"{sid},{status},2026-08-01,{name},{type},,{parent}"


def user(
    sid, given="Maria", family="Rivera", *, orgs="sch-1", role="teacher", email=None, grades="06,07,08", status="",
    enabled="true",
):  # fmt: skip
    email = f"{sid}@example.org" if email is None else email
    return f'{sid},{status},2026-08-01,{enabled},"{orgs}",{role},,,{given},{family},,,{email},,,,"{grades}",'


def user_1_2(sid, given="Maria", family="Rivera", *, email=None, grades="06,07,08", status="", enabled="true"):
    email = f"{sid}@example.org" if email is None else email
    return f'{sid},{status},2026-08-01,{enabled},{sid},,{given},{family},,,{email},,,,"{grades}",,,,,,,,'


def role_1_2(user_sid, org_sid, role="teacher", *, primary=True, sid=None):
    kind = "primary" if primary else "secondary"
    return f"{sid or f'r-{user_sid}-{org_sid}'},active,2026-08-01,{user_sid},{kind},{role},,,{org_sid},"


def oneroster_1_2(orgs=(), users=(), roles=(), manifest=MANIFEST_1_2) -> bytes:
    return make_zip(
        manifest=manifest, orgs=csv_file(ORGS_HEADER, orgs), users=csv_file(USERS_1_2_HEADER, users),
        roles=csv_file(ROLES_1_2_HEADER, roles),
    )  # fmt: skip


def sds(orgs=(), users=(), roles=()) -> bytes:
    """School Data Sync v2 files: no manifest, no status, no e-mail column (username is the sign-in)."""
    return make_zip(
        orgs=csv_file(SDS_ORGS_HEADER, orgs), users=csv_file(SDS_USERS_HEADER, users),
        roles=csv_file(SDS_ROLES_HEADER, roles),
    )  # fmt: skip


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
