"""Content negotiation with JSON:API's media type rules. A module of its own: DRF reads
DEFAULT_CONTENT_NEGOTIATION_CLASS while it imports its views, so this must not import them."""

from django.utils.http import parse_header_parameters
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation

JSONAPI_MEDIA_TYPE = "application/vnd.api+json"


def _with_parameters(media_type: str) -> bool | None:
    """Whether `media_type` is JSON:API's with parameters (`q` aside); None if it is another."""
    try:
        full_type, parameters = parse_header_parameters(media_type)
    except ValueError:  # longer than Django parses
        return None
    return bool(set(parameters) - {"q"}) if full_type.lower() == JSONAPI_MEDIA_TYPE else None


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, except for what JSON:API 1.0 asks of a server: an Accept header that names its
    media type only with parameters is a 406, and a body of its media type with parameters a 415."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if any(renderer.media_type == JSONAPI_MEDIA_TYPE for renderer in renderers):
            named = [_with_parameters(media_type) for media_type in self.get_accept_list(request)]
            named = [with_parameters for with_parameters in named if with_parameters is not None]
            if named and all(named):
                raise exceptions.NotAcceptable(
                    f"Accept names {JSONAPI_MEDIA_TYPE} only with media type parameters, which this "
                    "server does not support."
                )
        return super().select_renderer(request, renderers, format_suffix)

    def select_parser(self, request, parsers):
        if request.content_type and _with_parameters(request.content_type):
            return None  # a 415
        return super().select_parser(request, parsers)
