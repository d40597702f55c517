"""The Docker files stay valid and document every setting (checked without a Docker engine)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
CHECK = DOCKER / "check.sh"
SETTINGS = ROOT / "malti_site" / "settings.py"
ENV_EXAMPLE = DOCKER / ".env.example"
# check.sh's exit status when it cannot obtain a compose binary.
UNAVAILABLE = 77
# Read by settings but deliberately not passed to the containers.
NOT_FOR_CONTAINERS = {
    "MALTI_STATIC_ROOT": "collectstatic runs at build time into the image's default STATIC_ROOT",
    "MALTI_TEST_DATABASE": "only the test suite uses it",
}


def settings_variables() -> set[str]:
    """Every variable settings.py reads through the env_* helpers (env_secret also reads NAME_FILE)."""
    source = SETTINGS.read_text()
    names = set(re.findall(r'\benv_\w+\(\s*"([A-Z][A-Z0-9_]*)"', source))
    names |= {f"{name}_FILE" for name in re.findall(r'\benv_secret\(\s*"([A-Z][A-Z0-9_]*)"', source)}
    return names


def documented_variables() -> set[str]:
    """Names assigned in .env.example, set (NAME=...) or shown with their default (# NAME=...)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def test_settings_are_found_by_the_pattern():
    names = settings_variables()
    assert {"MALTI_SECRET_KEY", "MALTI_SECRET_KEY_FILE", "MALTI_ALLOWED_HOSTS", "DATABASE_URL"} <= names
    assert len([name for name in names if name.startswith("MALTI_")]) > 20


def test_env_example_documents_every_setting():
    missing = settings_variables() - documented_variables()
    assert not missing, f"docker/.env.example does not mention {sorted(missing)}"


def test_env_example_documents_the_compose_and_entrypoint_variables():
    used = set()
    for name in ("compose.yml", "compose.prod.yml", "compose.scale.yml", "entrypoint.sh"):
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (DOCKER / name).read_text()))
    missing = used - documented_variables()
    assert not missing, f"docker/.env.example does not mention {sorted(missing)}"


def test_compose_passes_every_setting_to_the_containers():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    passed = set(compose["x-malti-environment"])
    wanted = {name for name in settings_variables() if not name.endswith("_FILE")} - set(NOT_FOR_CONTAINERS)
    missing = wanted - passed
    assert not missing, f"docker/compose.yml's x-malti-environment does not pass {sorted(missing)}"


# --- With a compose binary (docker compose, or Debian's package fetched by check.sh) ---


def run_check(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CHECK), *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def compose() -> list[str]:
    result = run_check("--print-compose")
    if result.returncode == UNAVAILABLE:
        pytest.skip(f"no docker compose binary could be obtained: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[:-1]


def config(compose, *files, env_file=ENV_EXAMPLE, profiles=("apache",)) -> subprocess.CompletedProcess:
    args = [*compose]
    for name in files:
        args += ["-f", str(DOCKER / name)]
    args += ["--env-file", str(env_file)]
    for profile in profiles:
        args += ["--profile", profile]
    # A clean environment: the test run's own MALTI_* variables must not stand in for the env file's.
    clean = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [*args, "config", "--format", "json"], capture_output=True, text=True, timeout=60, cwd=ROOT, env=clean
    )


def resolved(compose, *files, **kwargs) -> dict:
    result = config(compose, *files, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_script_passes(compose):
    result = run_check()
    assert result.returncode == 0, result.stderr


def test_the_worker_runs_on_both_editions(compose):
    # Alerts need it everywhere; on the Apache edition it also refreshes rollups and applies retention.
    worker = resolved(compose, "compose.yml", profiles=())["services"]["worker"]
    assert worker["command"] == ["worker"]
    assert worker["restart"] == "unless-stopped"
    assert worker["healthcheck"] == {"disable": True}


def test_plain_compose_publishes_web_on_loopback(compose):
    web = resolved(compose, "compose.yml")["services"]["web"]
    assert web["ports"] == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 8000, "published": "8000", "protocol": "tcp"}
    ]
    assert web["environment"]["MALTI_SECURE_COOKIES"] == "0"
    assert web["environment"]["DATABASE_URL"] == "postgres://malti:change-me@timescaledb:5432/malti"


def test_malti_connects_as_its_own_role_which_the_database_container_creates(compose):
    services = resolved(compose, "compose.yml")["services"]
    database = services["timescaledb"]
    assert database["environment"]["POSTGRES_USER"] == "postgres"
    assert database["environment"]["MALTI_DB_USER"] == "malti"
    for name in ("web", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://malti:")
    # The one file, so the image's own initialisation scripts stay visible beside it.
    (mount,) = [volume for volume in database["volumes"] if volume["type"] == "bind"]
    assert mount["source"] == str(DOCKER / "initdb" / "010_malti_role.sh")
    assert mount["target"] == "/docker-entrypoint-initdb.d/010_malti_role.sh"
    assert mount["read_only"] is True


def test_prod_overlay_puts_web_behind_caddy_only(compose):
    project = resolved(compose, "compose.yml", "compose.prod.yml")
    web, caddy = project["services"]["web"], project["services"]["caddy"]
    assert not web.get("ports")
    assert set(caddy["networks"]) == {"proxy"}
    assert set(web["networks"]) == {"default", "proxy"}
    subnet = project["networks"]["proxy"]["ipam"]["config"][0]["subnet"]
    env = web["environment"]
    assert env["MALTI_TRUSTED_PROXIES"] == subnet
    assert env["MALTI_ALLOWED_HOSTS"] == "malti.example.com"
    assert env["MALTI_CSRF_TRUSTED_ORIGINS"] == "https://malti.example.com"
    assert env["MALTI_SECURE_COOKIES"] == "1"
    assert caddy["environment"]["MALTI_SITE_ADDRESS"] == "malti.example.com"


def test_one_web_container_by_default_and_never_more_than_one_worker(compose, tmp_path):
    services = resolved(compose, "compose.yml")["services"]
    assert services["web"]["deploy"]["replicas"] == 1
    assert services["worker"]["deploy"]["replicas"] == 1
    assert "container_name" not in services["web"], "compose could not number the web containers"
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "MALTI_WEB_REPLICAS=3\n")
    services = resolved(compose, "compose.yml", "compose.scale.yml", env_file=env_file)["services"]
    assert services["web"]["deploy"]["replicas"] == 3
    assert services["worker"]["deploy"]["replicas"] == 1


def test_scale_overlay_puts_every_web_container_behind_one_plain_http_caddy(compose):
    project = resolved(compose, "compose.yml", "compose.scale.yml")
    web, caddy = project["services"]["web"], project["services"]["caddy"]
    assert not web.get("ports"), "several containers cannot publish one port"
    assert caddy["ports"] == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8000", "protocol": "tcp"}
    ]
    assert caddy["environment"]["MALTI_SITE_ADDRESS"] == "http://"
    assert set(caddy["networks"]) == {"proxy"}
    assert set(web["networks"]) == {"default", "proxy"}
    subnet = project["networks"]["proxy"]["ipam"]["config"][0]["subnet"]
    assert web["environment"]["MALTI_TRUSTED_PROXIES"] == subnet
    assert web["environment"]["MALTI_SECURE_COOKIES"] == "0"


def test_caddy_spreads_requests_over_every_web_container():
    caddyfile = (DOCKER / "Caddyfile").read_text()
    assert caddyfile.startswith("#") and "\n{$MALTI_SITE_ADDRESS} {\n" in caddyfile
    # A fixed `web:8000` is one upstream: Caddy would keep its connections to whichever container answered first.
    assert re.search(r"dynamic a \{\s*name web\s*port 8000\s*refresh \w+\s*\}", caddyfile)
    assert "reverse_proxy web:8000" not in caddyfile


@pytest.mark.parametrize(
    ("files", "variable"),
    [
        (("compose.yml",), "MALTI_SECRET_KEY"),
        (("compose.yml",), "POSTGRES_PASSWORD"),
        (("compose.yml",), "MALTI_DB_PASSWORD"),
        (("compose.yml", "compose.prod.yml"), "MALTI_DOMAIN"),
    ],
)
def test_a_missing_required_variable_fails_with_a_message(compose, tmp_path, files, variable):
    env_file = tmp_path / ".env"
    env_file.write_text(re.sub(rf"^{variable}=.*$", "", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    result = config(compose, *files, env_file=env_file)
    assert result.returncode != 0
    assert f"required variable {variable} is missing a value: set {variable} in docker/.env" in result.stderr
