"""A small Django service of its own (not Malti) that reports to Malti through malti_client's middleware.

Its MALTI_* configuration comes from the environment the test starts it with.
"""

SECRET_KEY = "client-test-app-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.clients.django_app.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "ninja"]
MIDDLEWARE = [
    "malti_client.django.MaltiMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {}
USE_TZ = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tests.clients.django_app.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "CRITICAL"}}
