import io
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

PASSWORD = "tulip-orbit-cascade-42"


def ensure_admin(*args) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_creates_a_superuser():
    output = ensure_admin("--username", "root", "--password", PASSWORD, "--email", "root@example.com")
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.email == "root@example.com"
    assert user.check_password(PASSWORD)
    assert output == "Created superuser root."


def test_it_leaves_an_existing_user_alone():
    ensure_admin("--username", "root", "--password", PASSWORD)
    output = ensure_admin("--username", "root", "--password", "another-long-passphrase-7", "--email", "x@example.com")
    user = get_user_model().objects.get(username="root")
    assert user.check_password(PASSWORD)
    assert user.email == ""
    assert output.startswith("Kept existing superuser root")
    assert get_user_model().objects.count() == 1


def test_it_does_not_promote_an_existing_ordinary_user():
    get_user_model().objects.create_user(username="bob", password=PASSWORD)
    output = ensure_admin("--username", "bob", "--password", PASSWORD)
    assert not get_user_model().objects.get(username="bob").is_superuser
    assert "not a superuser" in output


def test_it_resets_the_password_only_when_asked():
    ensure_admin("--username", "root", "--password", PASSWORD)
    output = ensure_admin("--username", "root", "--password", "another-long-passphrase-7", "--reset-password")
    assert get_user_model().objects.get(username="root").check_password("another-long-passphrase-7")
    assert output == "Reset the password of existing user root."


def test_it_reads_the_password_from_a_file_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "admin_password"
    secret.write_text(PASSWORD + "\n")
    ensure_admin("--username", "root", "--password-file", str(secret))
    assert get_user_model().objects.get(username="root").check_password(PASSWORD)


def test_it_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    ensure_admin("--username", "root", "--password-file", "-")
    assert get_user_model().objects.get(username="root").check_password(PASSWORD)


def test_it_refuses_to_create_a_user_without_a_password():
    with pytest.raises(CommandError, match="A password is needed"):
        ensure_admin("--username", "root")
    assert not get_user_model().objects.exists()


def test_it_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too weak"):
        ensure_admin("--username", "root", "--password", "password")
    assert not get_user_model().objects.exists()


def test_it_refuses_an_unreadable_password_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        ensure_admin("--username", "root", "--password-file", str(tmp_path / "missing"))


def test_it_refuses_a_malformed_email():
    with pytest.raises(CommandError, match="not an e-mail address"):
        ensure_admin("--username", "root", "--password", PASSWORD, "--email", "root-at-example")


def test_it_needs_a_username():
    with pytest.raises(CommandError):
        ensure_admin("--password", PASSWORD)
