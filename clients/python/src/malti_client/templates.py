"""Route templates in one notation, `/items/{id}`, from Django, DRF, Django Ninja, Flask and Starlette routes.

Django's `path()` and Flask's rules write parameters as `<int:id>`, DRF's routers and
`re_path()` as regular expressions (`^items/(?P<pk>[^/.]+)/$`); Malti groups by the
endpoint string, so all of them become `{name}` and the leading slash is always there.
Results are cached: a service has a bounded set of routes.
"""

import re
from functools import lru_cache

_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
# What a regex route keeps once its groups are names: anchors and optional slashes go.
_ANCHORS = re.compile(r"^\^|\$$|\\A|\\Z")


@lru_cache(maxsize=4096)
def route_template(route: str) -> str:
    """`api/items/<int:pk>/` or `api/^items/(?P<pk>[^/.]+)/$` → `/api/items/{pk}/`."""
    template = route
    if any(char in template for char in "(^$\\"):
        template = _from_regex(template)  # first: a named group's `(?P<pk>` looks like a converter
    template = _CONVERTER.sub(r"{\1}", template)
    return template if template.startswith("/") else "/" + template


def _from_regex(route: str) -> str:
    """Replace each top-level group with `{name}` (`{arg}` when unnamed), then unescape what is left."""
    out, i, unnamed = [], 0, 0
    while i < len(route):
        char = route[i]
        if char == "\\" and i + 1 < len(route):
            out.append(route[i + 1])
            i += 2
        elif char == "(":
            end, depth = i, 0
            while end < len(route):
                if route[end] == "\\":
                    end += 1
                elif route[end] == "(":
                    depth += 1
                elif route[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            group = route[i : end + 1]
            named = re.match(r"\(\?P<([^>]+)>", group)
            if named:
                out.append("{" + named.group(1) + "}")
            elif not group.startswith("(?"):
                unnamed += 1
                out.append("{arg}" if unnamed == 1 else f"{{arg{unnamed}}}")
            i = end + 1
            if i < len(route) and route[i] in "?*+":
                i += 1
        elif char in "^$" or (char == "?" and out and out[-1] == "/"):
            i += 1
        else:
            out.append(char)
            i += 1
    return _ANCHORS.sub("", "".join(out))
