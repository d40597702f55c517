from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header the dashboard bundle satisfies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
