"""Report every HTTP request of a Python web service to Malti: Django, WSGI (Flask) and ASGI (Starlette, FastAPI).

The middlewares live in `malti_client.django`, `malti_client.wsgi` and `malti_client.asgi`,
so importing this package needs none of those frameworks.
"""

from .client import MaltiClient, default_exclude, get_client
from .config import Config
from .sender import Sender, SenderStats

__all__ = ["Config", "MaltiClient", "Sender", "SenderStats", "default_exclude", "get_client"]
