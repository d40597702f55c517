"""Route templates: every framework's notation becomes `/items/{id}`, and a raw path never appears."""

import pytest
from malti_client.templates import route_template


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/items/<int:pk>/", "/api/items/{pk}/"),  # Django path()
        ("shop/<slug>", "/shop/{slug}"),
        ("api/v1/orders/(?P<pk>[^/.]+)/$", "/api/v1/orders/{pk}/"),  # DRF router, behind include()
        ("api/v1/orders/$", "/api/v1/orders/"),
        ("^orders/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$", "/orders/{pk}.{format}/"),  # DRF format suffix
        ("^archive/([0-9]{4})/([0-9]{2})/$", "/archive/{arg}/{arg2}/"),  # unnamed groups
        ("^a/(?P<x>(?:one|two))/$", "/a/{x}/"),  # a group inside a group
        ("api/<int:v>/items/(?P<pk>[0-9]+)/$", "/api/{v}/items/{pk}/"),  # path() including a regex
        ("ninja/reports/<int:year>/<slug>", "/ninja/reports/{year}/{slug}"),  # Django Ninja
        ("/items/<int:item_id>", "/items/{item_id}"),  # Flask
        ("/users/{user_id}", "/users/{user_id}"),  # Starlette path_format
        ("", "/"),
    ],
)
def test_a_route_becomes_a_template(route, template):
    assert route_template(route) == template
