"""The OpenAPI schema declares the auth endpoints field by field, with every status they answer."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def component(schema, ref_holder):
    name = ref_holder["$ref"].rsplit("/", 1)[1]
    return schema["components"]["schemas"][name]


def body_schema(schema, operation, code):
    return component(schema, operation["responses"][code]["content"]["application/json"]["schema"])


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/auth/test", "get", {"200", "401", "403", "429", "503"}),
        ("/api/v1/auth/login", "post", {"200", "400", "401", "403", "415", "429", "503"}),
        ("/api/v1/auth/login/key", "post", {"200", "400", "401", "403", "415", "429", "503"}),
        ("/api/v1/auth/logout", "post", {"204", "401", "403", "429", "503"}),
    ],
)
def test_every_status_an_auth_operation_answers_is_declared_with_its_body(schema, path, method, codes):
    operation = schema["paths"][path][method]
    assert set(operation["responses"]) == codes
    for code in codes - {"200", "204"}:
        assert body_schema(schema, operation, code)["properties"] == {
            "detail": {"type": "string", "description": "What went wrong, in words."}
        }
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_auth_test_body_is_declared_field_by_field(schema, api, user_api_key):
    declared = body_schema(schema, schema["paths"]["/api/v1/auth/test"]["get"], "200")
    body = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).json()
    assert set(declared["required"]) == set(declared["properties"]) == set(body)
    assert declared["properties"]["timestamp"] == {
        "type": "string",
        "format": "date-time",
        "description": "The server's time, ISO 8601 in UTC.",
    }
    for field in ("user", "thresholds", "rate_limit_info"):
        nested = component(schema, declared["properties"][field])
        assert set(nested["required"]) == set(nested["properties"]) == set(body[field]), field
    user = component(schema, declared["properties"]["user"])["properties"]
    assert component(schema, user["permissions"]["items"])["enum"] == ["metrics", "admin"]
    thresholds = component(schema, declared["properties"]["thresholds"])["properties"]
    assert thresholds["latency_success_threshold"]["type"] == "integer"
    assert thresholds["error_success_threshold"]["type"] == "number"


def test_the_login_bodies_are_declared(schema):
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    request = component(schema, login["requestBody"]["content"]["application/json"]["schema"])
    assert set(request["required"]) == {"username", "password"}
    assert request["properties"]["username"]["maxLength"] == 150
    answer = body_schema(schema, login, "200")
    assert set(answer["properties"]) == {"user"}
