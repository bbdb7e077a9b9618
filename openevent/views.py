"""Django's error handlers: JSON:API error documents under /v1, pages elsewhere."""

from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

from openevent.api import API_PREFIX, error_response


def _error(request, status: int, api_detail: str, title: str, message: str):
    if request.path.startswith(API_PREFIX):
        return error_response(status, api_detail)
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def api_not_found(request, path=""):
    """Any /v1 URL that no API route matches (also while DEBUG would show its HTML page)."""
    return error_response(404, "Not found.")


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request.", "Bad request", "The request could not be understood.")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(
        request, 403, "You do not have permission to do this.", "Forbidden", "You may not open this page."
    )


def page_not_found(request, exception=None):
    return _error(request, 404, "Not found.", "Page not found", "There is nothing at this address.")


def server_error(request):
    return _error(
        request,
        500,
        "The server failed to answer this request.",
        "Server error",
        "Something went wrong on our side. Please try again later.",
    )


def csrf_failure(request, reason=""):
    return _error(
        request,
        403,
        f"CSRF verification failed: {reason}",
        "Form expired",
        "Your form expired or came from another site. Go back, reload the page and send it again.",
    )
