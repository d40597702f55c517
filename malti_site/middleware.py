from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header the dashboard bundle satisfies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = (
            settings.API_DOCS_CONTENT_SECURITY_POLICY
            if request.path.startswith("/api/docs")
            else settings.CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
