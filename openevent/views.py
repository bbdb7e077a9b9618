"""Django's error handlers for pages. Under /v1, openevent.api.ApiErrorMiddleware turns
their answers into JSON:API error documents."""

from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

from openevent.errors import CLASHED


def _error_page(request, status: int, title: str, message: str):
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error_page(request, 400, "Bad request", "The request could not be understood.")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error_page(request, 403, "Forbidden", "You may not open this page.")


def page_not_found(request, exception=None):
    return _error_page(request, 404, "Page not found", "There is nothing at this address.")


def server_error(request):
    return _error_page(
        request, 500, "Server error", "Something went wrong on our side. Please try again later."
    )


def csrf_failure(request, reason=""):
    return _error_page(
        request,
        403,
        "Form expired",
        "Your form expired or came from another site. Go back, reload the page and send it again.",
    )


def clash(request):
    return _error_page(request, 409, "Not saved", CLASHED)
