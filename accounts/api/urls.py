from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/test", views.AuthTestView.as_view(), name="auth-test"),
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/login/key", views.ApiKeyLoginView.as_view(), name="login-key"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
]
