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


RESOURCE_OBJECT_MEMBERS = {"type", "id", "attributes", "relationships", "links", "meta"}


def _check_identifier(identifier) -> None:
    if identifier is None:
        return
    if not isinstance(identifier, dict) or not isinstance(identifier.get("type"), str):
        raise exceptions.ParseError("A resource identifier must be an object with a type and an id.")
    if not isinstance(identifier.get("id"), str):
        raise exceptions.ParseError("A resource identifier's id must be a string.")


def check_resource_object(data) -> None:
    """The shape JSON:API gives a resource object, which the library's parser assumes."""
    if not isinstance(data, dict):
        raise exceptions.ParseError("The primary data must be a resource object.")
    if not isinstance(data.get("type"), str):
        raise exceptions.ParseError("A resource object must have a type (a string).")
    if unknown := sorted(set(data) - RESOURCE_OBJECT_MEMBERS):
        raise exceptions.ParseError(f"A resource object has no member {', '.join(map(repr, unknown))}.")
    for member in ("attributes", "links", "meta"):
        if not isinstance(data.get(member, {}), dict):
            raise exceptions.ParseError(f"A resource object's {member} must be an object.")
    relationships = data.get("relationships", {})
    if not isinstance(relationships, dict):
        raise exceptions.ParseError("A resource object's relationships must be an object.")
    for name, relationship in relationships.items():
        if not isinstance(relationship, dict) or "data" not in relationship:
            raise exceptions.ParseError(f'The relationship "{name}" must be an object with a data member.')
        linkage = relationship["data"]
        for identifier in linkage if isinstance(linkage, list) else [linkage]:
            _check_identifier(identifier)


class JSONAPIParser(RecursionSafeParserMixin, jsonapi_parsers.JSONParser):
    """JSON:API documents, with a malformed resource object a 400 rather than a crash."""

    def parse_data(self, result, parser_context):
        if isinstance(result, dict) and "data" in result:
            check_resource_object(result["data"])
        return super().parse_data(result, parser_context)
