from django.apps import AppConfig


class DashboardUiConfig(AppConfig):
    """The web dashboard: a React bundle built by Vite, served as a single page."""

    name = "dashboard_ui"
    verbose_name = "Dashboard"

    def ready(self):
        from dashboard_ui import checks  # noqa: F401  (registers the system check)
