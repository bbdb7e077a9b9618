"""Writes that clash with another request's at the database, past every check made before them:
a row they refer to deleted meanwhile (the reference is checked as the transaction commits), or
two transactions each waiting for the other's locks. Either is the race of two requests, never a
fault of the one refused, which is told so and may send its request again."""

import logging

from openevent import views
from openevent.api import error_response
from openevent.errors import CLASHED
from openevent.locks import clash_of
from openevent.resources import API_PREFIX

logger = logging.getLogger(__name__)


class ClashMiddleware:
    """A request refused for a clash is a 409 with CLASHED (under /v1 a JSON:API error of code
    "clash", which a client may send again as it was), not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        clash = clash_of(exception)
        if clash is None:
            return None
        logger.warning("%s %s refused: %s", request.method, request.path, clash)
        if request.path.startswith(API_PREFIX):
            return error_response(409, CLASHED, code="clash")
        return views.clash(request)
