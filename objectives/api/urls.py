from django.urls import path

from objectives.api import views

urlpatterns = [
    path("objectives", views.ObjectivesView.as_view(), name="objectives"),
    path("objectives/<str:service>", views.ServiceObjectivesView.as_view(), name="service-objectives"),
]
