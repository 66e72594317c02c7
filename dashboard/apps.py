from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self) -> None:
        from config import rollups

        # The read model follows every write of coaching records (config/rollups.py says why by name).
        rollups.register("dashboard", "dashboard.services.rollup_refresh")
