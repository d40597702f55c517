from django.urls import re_path

from dashboard_ui import views

app_name = "dashboard_ui"

# Include last: it serves the SPA for any path that is not the API, admin,
# static files or the health check, so client-side URLs survive a reload.
urlpatterns = [
    re_path(r"^(?!api/|admin/|static/|health).*$", views.index, name="index"),
]
