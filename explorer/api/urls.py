from django.urls import path

from explorer.api.views import RequestsView

urlpatterns = [
    path("requests", RequestsView.as_view(), name="requests"),
]
