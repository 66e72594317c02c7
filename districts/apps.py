from django.apps import AppConfig


class DistrictsConfig(AppConfig):
    """The district admin's workplace: programs, goals, caseloads, the library and roster imports."""

    name = "districts"
    default_auto_field = "django.db.models.BigAutoField"
