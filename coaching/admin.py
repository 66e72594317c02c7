from django.contrib import admin

from coaching import models


@admin.register(models.Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "email", "subject", "grade_band"]
    list_filter = ["school__district", "grade_band"]
    search_fields = ["name", "email", "sourced_id"]


@admin.register(models.Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["teacher", "coach", "program", "starts_on", "ends_on"]
    list_select_related = ["teacher", "coach", "program"]


# Challenges, steps, reflections, ITU ratings, activities and stories stay out of the Django admin:
# they are the coach's confidential record, and the operator has no reason to read them.
for model in (models.Program, models.Goal, models.Strategy, models.Tool):
    admin.site.register(model)
