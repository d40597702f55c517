from django.core.checks import Warning, register

from dashboard_ui.vite import manifest_path


@register()
def bundle_is_built(app_configs, **kwargs):
    """Warn at start-up, not at the first page view, when the dashboard bundle is missing."""
    if manifest_path() is not None:
        return []
    return [
        Warning(
            "The dashboard's JavaScript bundle has not been built; / answers 503.",
            hint="Run scripts/build-dashboard.sh (needs Node.js 20 and npm).",
            id="dashboard_ui.W001",
        )
    ]
