"""Token authentication without a database, in a module of its own (DRF imports it while importing its views)."""

from rest_framework import authentication


class TokenUser:
    """A user without a database: the name in `Authorization: Token <name>`."""

    is_authenticated = True

    def __init__(self, name: str):
        self.name = name

    def get_username(self) -> str:
        return self.name


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        kind, _, name = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        return (TokenUser(name), None) if kind == "Token" and name else None

    def authenticate_header(self, request):
        return "Token"  # so an anonymous call to a protected view is a 401, not a 403
