from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("secrets", views.SecretViewSet, basename="secret")

shop = [
    path("items/<int:item_id>", views.item),
    re_path(r"^legacy/(?P<code>[A-Z]{3})/$", views.legacy),
]

urlpatterns = [
    path("shop/", include(shop)),
    path("api/v1/", include(router.urls)),
    path("ninja/", views.ninja_api.urls),
    path("boom", views.boom),
    path("health", views.health),
]
