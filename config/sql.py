"""What a cursor read needs to name a model's rows: its quoted table and columns, and a parameter per value.

The hot reads of the dashboards and the caseloads page are cursor reads (dashboard.selectors, districts.selectors):
the ORM takes longer to build and compile their queries than the database takes to answer them (~1 ms a query). Their
rules: only identifiers from the models' metadata (or the selectors' own text) are formatted into the SQL, and every
value is a parameter.
"""

from collections.abc import Collection

from django.db import connection


def table(model: type) -> str:
    """The quoted table of `model`."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type, field: str) -> str:
    """The quoted column of `model`'s `field`."""
    return connection.ops.quote_name(model._meta.get_field(field).column)


def placeholders(values: Collection) -> str:
    """`%s, %s, …`: a parameter per value, for an `IN (…)`; `NULL` for none (an `IN (NULL)` matches no row)."""
    return ", ".join(["%s"] * len(values)) or "NULL"
