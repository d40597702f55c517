"""clients/python builds as a wheel offline, and the wheel alone is a working malti-client."""

import subprocess
import sys
import zipfile

from tests.reliability.conftest import ROOT

MODULES = {"__init__", "asgi", "client", "config", "django", "flask", "sender", "templates", "wsgi"}


def build_wheel(out) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "clients/python", "-w", out],
        cwd=ROOT, check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("malti_client-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_wheel_holds_the_package_and_its_metadata(tmp_path):
    with build_wheel(tmp_path) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()

    assert {n.removeprefix("malti_client/").removesuffix(".py") for n in names if n.startswith("malti_client/")} == (
        MODULES
    )
    assert "Name: malti-client\n" in metadata
    assert "Requires-Dist" not in metadata, "the standard library is all it needs"
    assert "Malti" in metadata  # the README is the long description


def test_the_wheel_works_without_the_checkout(tmp_path):
    with build_wheel(tmp_path / "dist") as wheel:
        wheel.extractall(tmp_path / "site")
    # -I -S: no checkout, no site-packages (where the editable install is), no environment: only the wheel's files.
    probe = "import malti_client; print(malti_client.__file__, malti_client.Config(service_name='s', api_key='k').url)"
    answer = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); {probe}"],
        cwd=tmp_path, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    module, url = answer.stdout.split()
    assert module == str(tmp_path / "site" / "malti_client" / "__init__.py")
    assert url == "http://localhost:8000"
