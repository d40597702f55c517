import os

from django.core.asgi import get_asgi_application

from malti_site.middleware import BodySizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "malti_site.settings")
# Outside Django: its handler reads a whole body before any Django middleware runs.
application = BodySizeLimit(get_asgi_application())
