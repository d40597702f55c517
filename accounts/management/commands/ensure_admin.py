"""Create the first superuser unattended (the Docker entrypoint runs it on every start)."""

import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create a superuser if no user has this username; an existing user is left alone unless "
        "--reset-password is given. Safe to run on every start. The password comes from --password, "
        "or better --password-file (a file, or - for stdin), which keeps it out of the process list."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="The superuser's username.")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password", help="The password (visible in the process list; prefer --password-file).")
        secret.add_argument(
            "--password-file",
            metavar="PATH",
            help="Read the password from this file (e.g. a Docker secret), or from stdin with -. "
            "A trailing newline is dropped.",
        )
        parser.add_argument("--email", default="", help="The superuser's e-mail address (optional).")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Set the password of an existing user too (e.g. to recover a lost admin password).",
        )

    @transaction.atomic
    def handle(self, *args, username, password=None, password_file=None, email="", reset_password=False, **options):
        username = username.strip()
        if not username:
            raise CommandError("--username must not be empty.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--email {email!r} is not an e-mail address.") from None
        if password_file:
            password = self._read_password(password_file)

        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            self._check_password(password, User(**{User.USERNAME_FIELD: username, "email": email}))
            User.objects.create_superuser(username=username, email=email, password=password)
            self.stdout.write(self.style.SUCCESS(f"Created superuser {username}."))
            return

        if not reset_password:
            kind = "superuser" if user.is_superuser else "user (not a superuser)"
            self.stdout.write(f"Kept existing {kind} {username}; its password is unchanged (--reset-password sets it).")
            return
        self._check_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        self.stdout.write(self.style.WARNING(f"Reset the password of existing user {username}."))

    def _read_password(self, path: str) -> str:
        try:
            if path == "-":
                raw = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    raw = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read the password file {path!r}: {exc.strerror}.") from None
        # Docker secrets and `echo` end with a newline that is not part of the password.
        return raw.rstrip("\r\n")

    def _check_password(self, password, user):
        if not password:
            raise CommandError(
                f"A password is needed to create {user.get_username()}: pass --password or --password-file."
            )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            problems = " ".join(exc.messages)
            raise CommandError(f"The password for {user.get_username()} is too weak: {problems}") from None
