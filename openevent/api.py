"""The JSON:API conventions every app's API shares (shared/docs/API.md, Conventions).

Every 4xx and 5xx under /v1 is a JSON:API error document: DRF's exceptions through
`exception_handler`, and whatever Django answers itself (unknown URL, bad Host, CSRF, a
crash, DEBUG's pages) through `ApiErrorMiddleware`. Validation failures are 422, as the
Open Event API Server answered them.
"""

from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, renderers
from rest_framework import filters as filters_drf
from rest_framework.exceptions import ErrorDetail
from rest_framework.filters import BaseFilterBackend
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_json_api import filters, utils
from rest_framework_json_api.exceptions import Conflict, rendered_with_json_api
from rest_framework_json_api.pagination import JsonApiPageNumberPagination

from openevent import errors
from openevent.negotiation import JSONAPI_MEDIA_TYPE
from openevent.parsers import JSONParser
from openevent.ratelimit import RateLimited
from openevent.resources import API_PREFIX, BadQueryParameter, RelatedNotFound, check_json_types
from openevent.validators import query_value


def error_object(status: int, detail: str, pointer: str | None = None, code: str | None = None) -> dict:
    error = {"status": str(status), "title": HTTPStatus(status).phrase, "detail": str(detail)}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    if code:
        error["code"] = code
    return error


def error_response(status: int, detail: str, code: str | None = None) -> JsonResponse:
    """A JSON:API error document for responses made outside DRF."""
    return JsonResponse(
        {"errors": [error_object(status, detail, code=code)]}, status=status, content_type=JSONAPI_MEDIA_TYPE
    )


class ApiErrorMiddleware:
    """The outermost middleware: under /v1, any error answer Django made as a page becomes an
    error document, so no HTML error page (DEBUG's included) is ever served to an API client."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(("application/json", JSONAPI_MEDIA_TYPE))
        ):
            return error_response(response.status_code, HTTPStatus(response.status_code).description)
        return response


def _field_pointer(pointer: str | None, field: str) -> str | None:
    if field == "detail":  # an error about the request as a whole (401, 404, 405 ...)
        return None
    if field == api_settings.NON_FIELD_ERRORS_KEY:
        return pointer
    return f"{pointer or ''}/{field}"


def _plain_errors(detail, status: int, pointer: str | None) -> list[dict]:
    """Flatten a DRF error detail of a plain JSON view into error objects with JSON pointers."""
    if isinstance(detail, dict):
        return [
            error
            for field, inner in detail.items()
            for error in _plain_errors(inner, status, _field_pointer(pointer, field))
        ]
    if isinstance(detail, list):
        return [error for item in detail for error in _plain_errors(item, status, pointer)]
    return [error_object(status, detail, pointer, getattr(detail, "code", None))]


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The service is not available now."
    default_code = "unavailable"


DOMAIN_ERRORS = [
    (errors.Forbidden, exceptions.PermissionDenied),
    (errors.NotFound, exceptions.NotFound),
    (errors.Conflict, Conflict),
    (errors.Unavailable, ServiceUnavailable),
]


def _single_authentication_error(exc: exceptions.AuthenticationFailed) -> exceptions.AuthenticationFailed:
    """simplejwt explains a bad token as a dict of details; an API client gets one error."""
    single = exceptions.AuthenticationFailed(
        exc.detail.get("detail", exc.default_detail), exc.detail.get("code")
    )
    single.status_code = exc.status_code
    single.auth_header = getattr(exc, "auth_header", None)
    return single


def exception_handler(exc, context):
    if isinstance(exc, errors.PartsInvalid):
        exc = exceptions.ValidationError(exc.parts)
    elif isinstance(exc, DjangoValidationError):  # raised by a service
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:  # a model's check of several fields: about the whole resource
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after)
    elif isinstance(exc, exceptions.AuthenticationFailed) and isinstance(exc.detail, dict):
        exc = _single_authentication_error(exc)
    elif isinstance(exc, errors.NotFound) and exc.relationship:  # a related resource, as missing
        exc = RelatedNotFound(str(exc), f"/data/relationships/{exc.relationship}")
    elif isinstance(exc, errors.DomainError):
        exc = next(api_error(str(exc)) for error, api_error in DOMAIN_ERRORS if isinstance(exc, error))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500, which ApiErrorMiddleware turns into a document
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = 422
    view = context["view"]
    if rendered_with_json_api(view):
        response = utils.format_drf_errors(response, context, exc)
        for error in response.data:
            error.setdefault("title", HTTPStatus(response.status_code).phrase)
            if not isinstance(exc, exceptions.ValidationError):
                error.pop("source", None)  # not about a field of the request body
    else:
        pointer = getattr(view, "error_pointer", "")
        response.data = {"errors": _plain_errors(response.data, response.status_code, pointer or None)}
    if hasattr(exc, "source"):
        for error in response.data if isinstance(response.data, list) else response.data["errors"]:
            error["source"] = exc.source
    response.data = _encodable(response.data)
    return response


def _encodable(value):
    """Error documents echo the request's text; a lone surrogate in it, which no answer can
    encode, is shown as U+FFFD."""
    if isinstance(value, dict):
        return {key: _encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        cleaned = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return (
            ErrorDetail(cleaned, getattr(value, "code", None)) if isinstance(value, ErrorDetail) else cleaned
        )
    return value


class PlainJSONView(APIView):
    """An action endpoint that takes and returns `application/json` (API.md: *plain JSON*).

    Its fields sit under `body_key` (`{"data": {...}}`), or at the top level when that is None.
    """

    parser_classes = [JSONParser]
    renderer_classes = [renderers.JSONRenderer]
    body_key: str | None = "data"

    @property
    def error_pointer(self) -> str:
        return f"/{self.body_key}" if self.body_key else ""

    def validated(self, serializer_class) -> dict:
        """The request body checked by `serializer_class`; a 422 naming each bad field otherwise."""
        body = self.request.data
        if self.body_key is not None:
            body = body.get(self.body_key) if isinstance(body, dict) else None
        if not isinstance(body, dict):
            raise exceptions.ValidationError("The request body must be a JSON object.")
        serializer = serializer_class(data=body)
        check_json_types(serializer, body)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class Pagination(JsonApiPageNumberPagination):
    """`page[number]` and `page[size]`, with the total in `meta.count` as the contract asks. A size
    or number that is not a whole number from 1 (a size up to `max_page_size`) is a 400; a page
    past the last is a 404; a number above `max_page_number`, a 400."""

    max_page_number = 1_000_000

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        return _page_parameter(self.page_size_query_param, value, self.max_page_size)

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is None or value in self.last_page_strings:
            return super().get_page_number(request, paginator)
        return _page_parameter(self.page_query_param, value, self.max_page_number)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["meta"]["count"] = self.page.paginator.count
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            size = parameter["name"] == self.page_size_query_param
            parameter["schema"]["maximum"] = self.max_page_size if size else self.max_page_number
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        whole_number = {"type": "integer", "minimum": 0}
        pagination = {name: whole_number for name in ("page", "pages", "count")}
        return {
            "type": "object",
            "properties": {
                "data": schema,
                "links": {
                    "type": "object",
                    "properties": dict.fromkeys(("first", "last", "next", "prev"), link),
                },
                "meta": {
                    "type": "object",
                    "properties": {
                        "count": whole_number,
                        "pagination": {"type": "object", "properties": pagination},
                    },
                    "required": ["count", "pagination"],
                },
            },
            "required": ["data", "links", "meta"],
        }


def _page_parameter(parameter: str, value: str, maximum: int) -> int:
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit()) or not digits:
        raise BadQueryParameter(parameter, f"{parameter} must be a whole number from 1.")
    if len(digits) > len(str(maximum)) or int(digits) > maximum:  # never int() of a huge number
        raise BadQueryParameter(parameter, f"{parameter} may be at most {maximum}.")
    return int(digits)


class MalformedQueryMixin:
    """A query that names unknown parameters or fields is a malformed request (400), not invalid data."""

    def filter_queryset(self, request, queryset, view):
        try:
            return super().filter_queryset(request, queryset, view)
        except exceptions.ValidationError as error:
            detail = error.detail[0] if isinstance(error.detail, list) else error.detail
            raise exceptions.ParseError(detail) from error


class QueryParameterValidationFilter(MalformedQueryMixin, filters.QueryParameterValidationFilter):
    pass


class OrderingFilter(MalformedQueryMixin, filters.OrderingFilter):
    pass


class SearchFilter(filters_drf.SearchFilter):
    """`filter[search]=some words`: every word must match one of the view's `search_fields`. More
    than MAX_SEARCH_WORDS words, or text a query cannot hold, is a malformed request (400)."""

    MAX_SEARCH_WORDS = 10

    def get_search_terms(self, request):
        try:
            terms = super().get_search_terms(request)
        except exceptions.ValidationError as error:
            raise BadQueryParameter(self.search_param, " ".join(map(str, error.detail))) from error
        if len(terms) > self.MAX_SEARCH_WORDS:
            raise BadQueryParameter(self.search_param, f"Search for at most {self.MAX_SEARCH_WORDS} words.")
        return terms

    def get_schema_operation_parameters(self, view):
        return super().get_schema_operation_parameters(view) if getattr(view, "search_fields", None) else []


class FieldFilter(BaseFilterBackend):
    """`filter[<name>]=<value>[,<value>...]` for the names a view maps to model fields in
    `filter_fields` (`{"event-topic": "event_topic"}`); any other filter but `filter[search]`,
    or a value its field cannot hold, is a malformed request (400)."""

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "filter_fields", {})
        for param, value in request.query_params.items():
            name = param.removeprefix("filter[").removesuffix("]") if param.startswith("filter[") else None
            if name is None or (name == "search" and getattr(view, "search_fields", None)):
                continue  # filter[search] is SearchFilter's, where the list has words to search
            if name not in fields:
                raise BadQueryParameter(param, f"{param} is not a filter of this list.")
            field = queryset.model._meta.get_field(fields[name])
            try:
                values = [query_value(field, item) for item in value.split(",")]
            except DjangoValidationError as error:
                raise BadQueryParameter(param, f"{param}: {' '.join(error.messages)}") from error
            queryset = queryset.filter(**{f"{fields[name]}__in": values})
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": f"filter[{name}]",
                "in": "query",
                "required": False,
                "description": f"Only those whose {name} is one of these comma-separated values.",
                "schema": {"type": "string"},
            }
            for name in getattr(view, "filter_fields", {})
        ]
