from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The bottom layer as an app: it holds the transactional outbox (and the submission keys of forms)."""

    name = "config"
    label = "config"
    verbose_name = "Cadence plumbing"
