"""A FastAPI service with malti_client's ASGI middleware, a mounted app included, sending to a live Malti."""

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from malti_client import MaltiClient
from malti_client.asgi import MaltiASGIMiddleware

from tests.clients.conftest import per_consumer, per_endpoint

pytestmark = pytest.mark.django_db

SERVICE = "client-asgi"


def shop(client: MaltiClient) -> FastAPI:
    app = FastAPI()
    admin = FastAPI()

    @app.get("/items/{item_id}")
    def get_item(item_id: int):
        if item_id == 13:
            raise HTTPException(status_code=503)
        return {"id": item_id}

    @app.get("/boom")
    def boom():
        raise RuntimeError("an unhandled error is a 500")

    @app.get("/health")
    def health():
        return "ok"

    @admin.get("/users/{user_id:int}")
    def get_user(user_id: int):
        return {"id": user_id}

    app.mount("/admin", admin)
    app.add_middleware(MaltiASGIMiddleware, client=client)
    return app


def test_an_asgi_app_is_read_back_per_route_template_and_consumer(server, accounts, read_back):
    client = MaltiClient(
        service_name=SERVICE, api_key=accounts.keys.__dict__[SERVICE], url=server.url, node="asgi-node-1"
    )
    with TestClient(shop(client), raise_server_exceptions=False) as app:
        billing = {"X-Consumer-ID": "billing-ui"}
        answers = [app.get(f"/items/{i}", headers=billing).status_code for i in (1, 2, 13)]
        answers += [app.get(f"/admin/users/{i}", headers={"X-Consumer": "ops"}).status_code for i in (1, 2)]
        answers += [app.get("/boom").status_code, app.get("/health").status_code, app.get("/nowhere").status_code]
    assert client.close(10)
    assert answers == [200, 200, 503, 200, 200, 500, 200, 404]

    body = read_back(SERVICE)
    assert per_endpoint(body) == {
        ("GET", "/items/{item_id}"): (3, 1),
        ("GET", "/admin/users/{user_id}"): (2, 0),
        ("GET", "/boom"): (1, 1),
    }
    assert per_consumer(body) == {"billing-ui": (3, 1), "ops": (2, 0), "anonymous": (1, 1)}
