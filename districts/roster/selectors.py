"""Reads of roster imports. Each starts from the district admin's district."""

from django.db.models import QuerySet

from accounts.models import District, RosterImport

HISTORY_LENGTH = 50


def district_imports(district: District) -> QuerySet[RosterImport]:
    """The district's latest imports, without their payloads and problems (counts has their number)."""
    return district.roster_imports.select_related("uploaded_by").defer("payload", "errors")[:HISTORY_LENGTH]


def import_queryset() -> QuerySet[RosterImport]:
    return RosterImport.objects.select_related("uploaded_by").defer("payload")
