"""Settings: explicit arguments over MALTI_* variables, defaults as the other clients', bad values refused."""

import pytest
from malti_client import Config, default_exclude


def test_the_variables_are_read_and_arguments_win(monkeypatch):
    monkeypatch.setenv("MALTI_SERVICE_NAME", "shop")
    monkeypatch.setenv("MALTI_API_KEY", "malti_s_x")
    monkeypatch.setenv("MALTI_URL", "https://malti.example.com/")
    monkeypatch.setenv("MALTI_BATCH_SIZE", "50")
    config = Config.from_env(node="n1", batch_interval=5)

    assert (config.service_name, config.api_key, config.node) == ("shop", "malti_s_x", "n1")
    assert (config.batch_size, config.batch_interval) == (50, 5)
    assert config.ingest_url == "https://malti.example.com/api/v1/ingest"
    assert config.enabled


def test_the_defaults_are_the_other_clients(monkeypatch):
    for name in ("MALTI_SERVICE_NAME", "MALTI_API_KEY", "MALTI_URL", "MALTI_BATCH_SIZE", "MALTI_BATCH_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    config = Config.from_env()

    assert (config.batch_size, config.batch_interval, config.clean_mode) == (500, 60.0, True)
    assert not config.enabled, "no key, nothing recorded"


@pytest.mark.parametrize(
    ("variable", "value"), [("MALTI_BATCH_SIZE", "0"), ("MALTI_BATCH_SIZE", "20000"), ("MALTI_CLEAN_MODE", "maybe")]
)
def test_a_bad_value_is_refused_loudly(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        Config.from_env()


def test_an_unknown_argument_is_refused():
    with pytest.raises(TypeError, match="batchsize"):
        Config.from_env(batchsize=3)


@pytest.mark.parametrize(
    ("method", "endpoint", "left_out"),
    [
        ("OPTIONS", "/items/{id}", True),
        ("GET", "/health", True),
        ("GET", "/health/ready", True),
        ("GET", "/healthz", True),
        ("GET", "/api/health", False),
        ("GET", "/healthy-food", False),
        ("GET", "/items/{id}", False),
    ],
)
def test_preflights_and_health_checks_are_left_out_by_default(method, endpoint, left_out):
    assert default_exclude(method, endpoint) is left_out
