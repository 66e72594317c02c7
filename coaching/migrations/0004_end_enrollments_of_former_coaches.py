"""End the enrollments that a role change or a deactivation left open before those changes ended them.

From now on accounts.services ends a coach's enrollments when they stop being a coach or are
deactivated; enrollments left open by earlier changes are ended here, on the day of the migration
(the day their records close: accounts.scoping already refuses them to anyone but an active coach).
"""

from django.db import migrations
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone


def end_former_coaches_enrollments(apps, schema_editor):
    Enrollment = apps.get_model("coaching", "Enrollment")
    former = ~Q(coach__membership__role="coach") | Q(coach__is_active=False) | Q(coach__membership__isnull=True)
    today = Value(timezone.localdate())
    Enrollment.objects.filter(ends_on__isnull=True).filter(former).update(ends_on=Greatest(F("starts_on"), today))


class Migration(migrations.Migration):
    dependencies = [
        ("coaching", "0003_step_sequence_calendarevent_calendarfeed"),
        ("accounts", "0003_audit_reactivate"),
    ]

    operations = [migrations.RunPython(end_former_coaches_enrollments, migrations.RunPython.noop)]
