"""Views of the test service: plain Django, a DRF viewset behind a router, a Django Ninja API."""

from django.http import HttpResponse, JsonResponse
from ninja import NinjaAPI
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response


def item(request, item_id: int):
    if item_id == 13:
        return JsonResponse({"detail": "unlucky"}, status=503)
    return JsonResponse({"id": item_id})


def legacy(request, code: str):
    return JsonResponse({"code": code})


def boom(request):
    raise RuntimeError("an unhandled error is a 500")


def health(request):
    return HttpResponse("ok")


class OrderViewSet(viewsets.ViewSet):
    def list(self, request):
        return Response([{"id": 1}])

    def retrieve(self, request, pk=None):
        if pk == "404":
            raise exceptions.NotFound()
        return Response({"id": pk})

    def create(self, request):
        if "total" not in request.data:
            raise exceptions.ValidationError({"total": "required"})
        return Response(request.data, status=201)


class SecretViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated]

    def list(self, request):
        return Response({"user": request.user.get_username()})


ninja_api = NinjaAPI(urls_namespace="ninja")


@ninja_api.get("/reports/{year}/{slug}")
def report(request, year: int, slug: str):
    return {"year": year, "slug": slug}
