from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project itself, as an app: only so that its system checks are registered."""

    name = "config"
    label = "site_config"
    verbose_name = "Site configuration"

    def ready(self):
        from config import checks  # noqa: F401 - registers the checks
