from django.urls import path

from alerts.api import views

urlpatterns = [
    path("alerts/rules", views.RulesView.as_view(), name="alert-rules"),
    path("alerts/rules/<str:id>", views.RuleView.as_view(), name="alert-rule"),
    path("alerts/rules/<str:id>/mute", views.RuleMuteView.as_view(), name="alert-rule-mute"),
    path("alerts/rules/<str:id>/unmute", views.RuleUnmuteView.as_view(), name="alert-rule-unmute"),
    path("alerts/rules/<str:id>/history", views.RuleHistoryView.as_view(), name="alert-rule-history"),
    path("alerts/firing", views.FiringView.as_view(), name="alerts-firing"),
    path("alerts/events", views.EventsView.as_view(), name="alert-events"),
    path("alerts/silences", views.SilencesView.as_view(), name="alert-silences"),
    path("alerts/silences/<str:id>", views.SilenceView.as_view(), name="alert-silence"),
    path("alerts/channels", views.ChannelsView.as_view(), name="alert-channels"),
    path("alerts/channels/<str:id>", views.ChannelView.as_view(), name="alert-channel"),
    path("alerts/channels/<str:id>/test", views.ChannelTestView.as_view(), name="alert-channel-test"),
    path("alerts/deliveries", views.DeliveriesView.as_view(), name="alert-deliveries"),
]
