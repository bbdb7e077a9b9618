"""Request parsers. A module of its own: DRF reads DEFAULT_PARSER_CLASSES while it imports
its views, so this must not import them."""

from rest_framework import exceptions, parsers
from rest_framework_json_api import parsers as jsonapi_parsers


class RecursionSafeParserMixin:
    """JSON nested deeper than Python can parse is a malformed request (400), not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from error


class JSONParser(RecursionSafeParserMixin, parsers.JSONParser):
    pass


class JSONAPIParser(RecursionSafeParserMixin, jsonapi_parsers.JSONParser):
    pass
