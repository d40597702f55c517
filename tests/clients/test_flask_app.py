"""A Flask service with malti_client's WSGI middleware, configured by explicit arguments, sending to a live Malti."""

import flask
import pytest
from malti_client import MaltiClient
from malti_client.flask import instrument

from tests.clients.conftest import per_consumer, per_endpoint
from tests.clients.fake_malti import FakeMaltiServer
from tests.clients.test_sender import closed_port_url

pytestmark = pytest.mark.django_db

SERVICE = "client-flask"


def shop(client: MaltiClient) -> flask.Flask:
    app = flask.Flask("shop")

    @app.get("/items/<int:item_id>")
    def get_item(item_id):
        return ({"detail": "unlucky"}, 503) if item_id == 13 else {"id": item_id}

    @app.post("/items")
    def create_item():
        return flask.request.get_json(), 201

    @app.get("/private")
    def private():
        return {"detail": "sign in"}, 401

    @app.get("/boom")
    def boom():
        raise RuntimeError("an unhandled error is a 500")

    @app.get("/healthz")
    def health():
        return "ok"

    orders = flask.Blueprint("orders", __name__, url_prefix="/v2")

    @orders.get("/orders/<order_id>")
    def get_order(order_id):
        return {"id": order_id}

    app.register_blueprint(orders)
    instrument(app, client)
    return app


def send_traffic(app: flask.Flask) -> list[int]:
    shop_client = app.test_client()
    billing, mobile, carol = {"X-Consumer-ID": "billing-ui"}, {"X-Consumer": "mobile"}, {"REMOTE_USER": "carol"}
    answers = [shop_client.get(f"/items/{i}", headers=billing).status_code for i in (1, 2, 13)]
    answers += [shop_client.post("/items", json={"n": n}, environ_base=carol).status_code for n in (1, 2)]
    answers.append(shop_client.get("/v2/orders/A-17", headers=mobile).status_code)
    answers.append(shop_client.get("/boom").status_code)
    # Left out: a health check, a preflight, and (clean mode) a 401 and a 404.
    answers += [shop_client.get("/healthz").status_code, shop_client.options("/items/1").status_code]
    answers += [shop_client.get("/private").status_code, shop_client.get("/nowhere").status_code]
    return answers


def test_a_flask_app_is_read_back_per_url_rule_and_consumer(server, accounts, read_back):
    client = MaltiClient(
        service_name=SERVICE, api_key=accounts.keys.__dict__[SERVICE], url=server.url, node="flask-node-1"
    )
    answers = send_traffic(shop(client))
    assert client.stats.sent == 0, "the request thread only queues"
    assert client.close(10)
    assert answers == [200, 200, 503, 201, 201, 200, 500, 200, 200, 401, 404]
    assert (client.stats.queued, client.stats.sent, client.stats.failed) == (7, 7, 0)

    body = read_back(SERVICE)
    assert per_endpoint(body) == {
        ("GET", "/items/{item_id}"): (3, 1),
        ("POST", "/items"): (2, 0),
        ("GET", "/v2/orders/{order_id}"): (1, 0),
        ("GET", "/boom"): (1, 1),
    }
    assert per_consumer(body) == {"billing-ui": (3, 1), "carol": (2, 0), "mobile": (1, 0), "anonymous": (1, 1)}
    assert body["distinct_nodes"] == ["flask-node-1"]


def test_the_app_answers_as_usual_when_malti_is_down():
    client = MaltiClient(service_name=SERVICE, api_key="malti_s_x", url=closed_port_url(), max_retries=1, retry_delay=0)
    answers = send_traffic(shop(client))
    assert client.close(10)

    assert answers == [200, 200, 503, 201, 201, 200, 500, 200, 200, 401, 404]
    assert (client.stats.queued, client.stats.sent, client.stats.failed) == (7, 0, 7)


def test_without_clean_mode_401_and_404_are_reported_and_no_raw_path_ever():
    with FakeMaltiServer() as malti:
        client = MaltiClient(service_name=SERVICE, api_key="malti_s_x", url=malti.url, clean_mode=False)
        send_traffic(shop(client))
        client.close(10)

    reported = {(r["endpoint"], r["status"]) for r in malti.fake.records()}
    assert {("/private", 401), ("(no route)", 404)} <= reported
    assert not any(r["endpoint"] in ("/nowhere", "/items/1") for r in malti.fake.records())
