"""The OpenAPI description of /v1, generated from the code: drf-spectacular, with
drf-spectacular-jsonapi's JSON:API parameters, made to describe the documents this API writes
(openevent.renderers) rather than DJA's.

- A resource object has a string `id`, a `self` link when its type has endpoints, attributes
  by their wire names (none required in an answer: sparse fieldsets leave any out) and
  relationships: linkage as `data` (an identifier, null where the relationship may be empty, or
  a list), and `self`/`related` links for the declared ones.
- A document holds `data`, the `included` resources of the types its includes reach, and on a
  list the paging `links` and `meta`.
- JWT bearer tokens and the session cookie are its security schemes.
"""

import re

from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_array_type,
    build_object_type,
    build_parameter_type,
)
from drf_spectacular.utils import inline_serializer
from drf_spectacular_jsonapi.schemas.openapi import DjangoJsonApiFilterExtension, JsonApiAutoSchema
from rest_framework import fields as drf_fields
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework_json_api.utils import get_resource_type_from_model

from openevent.api import PlainJSONView
from openevent.negotiation import JSONAPI_MEDIA_TYPE
from openevent.resources import (
    ResourceSerializer,
    declared_relationships,
    readable_field_names,
    registry,
    resource_type,
    wire_name,
)

URI = {"type": "string", "format": "uri"}
RELATIONSHIP_LINKS = build_object_type(properties={"self": URI, "related": URI}, required=["self", "related"])


def type_member(type_: str) -> dict:
    """A resource object's `type`: a pattern rather than a one-value enum, which drf-spectacular
    would hoist into one clashing `TypeEnum` component per type."""
    return {"type": "string", "pattern": f"^{re.escape(type_)}$", "example": type_}


CLASH_ANSWER = "A write made at the same time clashed with this one: nothing was saved; send it again."
NO_NUL = "^[^\\x00]*$"  # DRF's text fields refuse NUL characters


def identifier(type_: str) -> dict:
    return build_object_type(
        properties={"type": type_member(type_), "id": {"type": "string", "minLength": 1}},
        required=["type", "id"],
        additionalProperties=False,
    )


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwt"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`POST /v1/auth/login` answers an access token; send `Authorization: JWT <token>` "
            "(or `Bearer`).",
        }


# It describes DJA's django-filter backend, which this API does without (openevent.filtering).
DjangoJsonApiFilterExtension.optional = True


def without_aliases(endpoints):
    """drf-spectacular's preprocessing hook: `/v1` answers as `/v1/` does; the schema has the latter."""
    return [endpoint for endpoint in endpoints if endpoint[0] != "/v1"]


class LinkedOnlyField(OpenApiSerializerFieldExtension):
    """A to-many relationship rendered as links (openevent.schema.relationship_object maps it)."""

    target_class = "rest_framework_json_api.relations.HyperlinkedRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string"}


class AutoSchema(JsonApiAutoSchema):
    """Every /v1 view's schema: resources as this API renders them; a plain-JSON action
    (openevent.api.PlainJSONView) with its request's fields under the view's `body_key`; a
    relationship endpoint (openevent.viewsets.RelationshipView) with its linkage."""

    @property
    def relationship(self):
        """The relationship a relationship endpoint shows, else None."""
        from openevent.viewsets import RelationshipView  # not at the top: DRF's settings import this

        return self.view.parent.relationship if isinstance(self.view, RelationshipView) else None

    def get_request_serializer(self):
        return None if self.relationship else super().get_request_serializer()

    def get_response_serializers(self):
        relationship = self.relationship
        if relationship is None:
            return super().get_response_serializers()
        if self.method != "GET":
            return {403: ERROR_DOCUMENT}
        linkage = identifier(relationship.target_type)
        data = build_array_type(linkage) if relationship.many else {**linkage, "nullable": True}
        return {
            200: build_object_type(
                properties={"data": data, "links": RELATIONSHIP_LINKS}, required=["data", "links"]
            )
        }

    def _get_response_bodies(self, direction="response"):
        """The answers drf-spectacular finds, and the error documents this operation may answer."""
        responses = super()._get_response_bodies(direction)
        media_type = self.map_renderers("media_type")[0]
        component = ResolvedComponent(
            name="ErrorDocument", type=ResolvedComponent.SCHEMA, schema=ERROR_DOCUMENT, object="ErrorDocument"
        )
        self.registry.register_on_missing(component)
        for status, description in self.error_answers().items():
            media_types = [media_type]
            if status == 404 and "{" in self.path and media_type != JSONAPI_MEDIA_TYPE:
                media_types.append(JSONAPI_MEDIA_TYPE)  # an id no URL takes: ApiErrorMiddleware's
            content = {media: {"schema": component.ref} for media in media_types}
            responses.setdefault(str(status), {"description": description, "content": content})
        return responses

    def error_answers(self) -> dict[int, str]:
        """Which errors the operation may answer, by what every /v1 view does (openevent.api,
        openevent.viewsets), and those its view names for the method in `error_answers`."""
        answers = {}
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        resource = self.resource_serializer is not None or self.relationship is not None
        if resource or unsafe:
            answers[400] = "A query parameter or the body cannot be read."
        if self.view.get_authenticators():
            answers[401] = "Credentials are missing, wrong or expired."
        csrf_checked = unsafe and any(
            isinstance(authenticator, SessionAuthentication)
            for authenticator in self.view.get_authenticators()
        )
        writes_resource = resource and self.method in ("POST", "PATCH") and self.relationship is None
        if csrf_checked or not self._lets_anyone_through():
            answers[403] = "The caller may not do this (or the CSRF check failed for a session)."
            if writes_resource and self.method == "POST":
                answers[403] += " A resource object with an id: the server assigns ids."
        if "{" in self.path or (resource and self.method == "GET") or writes_resource:
            answers[404] = (
                "Nothing by that id for this caller, a page past the last, or a relationship's target "
                "missing or hidden from the caller (the error points at the relationship)."
            )
        if writes_resource:
            answers[409] = "The body's type (or id) is not this endpoint's, or it clashes with a stored one."
        answers[406] = "The Accept header names none of the media types this answers."
        if unsafe and self.method != "DELETE" and self.relationship is None:
            answers[415] = "The body is not of the media type this takes."
            answers[422] = "The body does not validate: each error points at its field."
        answers.update(getattr(self.view, "error_answers", {}).get(self.method.lower(), {}))
        if unsafe:  # openevent.clashes
            answers[409] = " ".join(filter(None, [answers.get(409), CLASH_ANSWER]))
        return dict(sorted(answers.items()))

    def _lets_anyone_through(self) -> bool:
        """Whether no permission of the view ever refuses (every one is AllowAny): then it has no
        403 of its own. Not `anonymous_may_call`, which a view may pass and still refuse its
        objects to some callers (an event's team to all but its admins)."""
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def anonymous_may_call(self) -> bool:
        """Whether the view's permissions let a caller without credentials through (its objects
        may still be hidden from them)."""
        from django.contrib.auth.models import AnonymousUser
        from rest_framework.request import Request
        from rest_framework.test import APIRequestFactory

        request = Request(APIRequestFactory().generic(self.method, self.path))
        request.user = AnonymousUser()
        return all(
            permission.has_permission(request, self.view) for permission in self.view.get_permissions()
        )

    def get_auth(self):
        """The security schemes, and `{}` (none) where anonymous callers are let through."""
        auths = [auth for auth in super().get_auth() if auth]
        return [*auths, {}] if self.anonymous_may_call() else auths

    def get_summary(self):
        """What the operation does and, in brackets, who may call it: the view's `summaries`
        by action (or by method, on a view that is not a view set); made here for a related or
        relationship endpoint."""
        parent = getattr(self.view, "parent", None)
        if parent is not None:
            return related_summary(parent, self.method, relationship_endpoint=self.relationship is not None)
        summaries = getattr(self.view, "summaries", None)
        if summaries is None:
            return super().get_summary()  # a plain view's, from extend_schema
        key = getattr(self.view, "action", None) or self.method.lower()
        if key not in summaries:
            warn(f"{type(self.view).__name__}.summaries has no {key!r}: say what it does and who may call it")
        return summaries.get(key)

    @property
    def related_to_one(self) -> bool:
        """Whether this is a to-one related endpoint (`/v1/sessions/{id}/track`)."""
        parent = getattr(self.view, "parent", None)
        return parent is not None and self.relationship is None and not parent.relationship.many

    def _is_list_view(self, serializer=None):
        """A view set's `list`, and the actions it names in `list_actions` (an event's team)."""
        if getattr(self.view, "action", None) in getattr(self.view, "list_actions", ()):
            return True
        return super()._is_list_view(serializer)

    @property
    def resource_serializer(self):
        """A resource view set's serializer class, else None (a plain-JSON action, a relationship)."""
        get_class = getattr(self.view, "get_serializer_class", None)
        serializer_class = get_class() if get_class else None
        if isinstance(serializer_class, type) and issubclass(serializer_class, ResourceSerializer):
            return serializer_class
        return None

    def _process_override_parameters(self, direction="request"):
        """`include` and `fields[...]` on a resource's GETs, as this API reads them."""
        parameters = super(JsonApiAutoSchema, self)._process_override_parameters(direction)
        serializer_class = self.resource_serializer
        if self.method != "GET" or serializer_class is None:
            return parameters
        includes = include_paths(serializer_class)
        if includes:
            parameters["include", "query"] = build_parameter_type(
                name="include",
                location="query",
                schema=comma_separated(includes),
                description="Related resources to include, comma-separated, a dotted level deep; empty: none",
            )
        for type_, target in reachable_types(serializer_class).items():
            name = f"fields[{type_}]"
            fields = sorted(wire_name(field) for field in readable_field_names(target) if field != "id")
            parameters[name, "query"] = build_parameter_type(
                name=name,
                location="query",
                schema=comma_separated(fields),
                description=f"The fields of each {type_} to answer with, comma-separated; empty: none.",
            )
        return parameters

    def _get_request_for_media_type(self, serializer, direction="request"):
        plain_view = isinstance(self.view, PlainJSONView)
        method, self.method = self.method, "PUT" if plain_view and self.method == "PATCH" else self.method
        try:  # a plain view validates the whole body (PlainJSONView.validated), on PATCH too
            schema, required = super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method
        key = self.view.body_key if plain_view else None
        if key and schema:
            return build_object_type(properties={key: schema}, required=[key]), True
        return schema, required

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if (
            isinstance(field, drf_fields.CharField)
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = NO_NUL  # after drf-spectacular's, which would make "" a oneOf of two

    def _map_basic_serializer(self, serializer, direction):
        schema = super(JsonApiAutoSchema, self)._map_basic_serializer(serializer, direction)
        if not isinstance(serializer, ResourceSerializer):
            return schema
        return resource_object(serializer, schema["properties"], direction, self.method)

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super(JsonApiAutoSchema, self)._get_response_for_code(
            serializer, status_code, media_types, direction
        )
        content = response.get("content", {}).get(JSONAPI_MEDIA_TYPE)
        child = getattr(serializer, "child", serializer)
        if not content or not isinstance(child, ResourceSerializer):
            return response
        name = self._get_serializer_name(child, direction)
        if self.related_to_one:  # null where the relationship has no target
            content["schema"] = {"allOf": [content["schema"]], "nullable": True}
            name = f"{name}OrNone"
        paginated = self.get_paginated_name(name)
        if content["schema"].get("$ref") == f"#/components/schemas/{paginated}":  # a page (Pagination)
            self.registry[(paginated, ResolvedComponent.SCHEMA)].schema["properties"]["included"] = (
                self.included(child)
            )
            return response
        component = ResolvedComponent(
            name=f"{name}Document",
            type=ResolvedComponent.SCHEMA,
            schema=build_object_type(
                properties={"data": content["schema"], "included": self.included(child)}, required=["data"]
            ),
            object=child,
        )
        self.registry.register_on_missing(component)
        content["schema"] = component.ref
        return response

    def included(self, serializer) -> dict:
        """The resources the serializer's includes may bring (its own type too, `event.tracks`)."""
        types = included_types(type(serializer))
        refs = [self.resolve_serializer(target, "response").ref for target in types.values()]
        return build_array_type({"oneOf": refs} if refs else {})


def comma_separated(names: list[str]) -> dict:
    """A query parameter's value: some of `names`, comma-separated, or nothing."""
    one = f"({'|'.join(re.escape(name) for name in names)})"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$"}


def related_summary(parent, method: str, relationship_endpoint: bool) -> str:
    """A related endpoint's (`/v1/sessions/{id}/speakers`) or a relationship endpoint's summary."""
    owner = resource_type(parent.viewset.serializer_class)
    wire = parent.relationship.wire
    if not relationship_endpoint:
        if parent.relationship.many:
            return f"List the {wire} of {_a(owner)} (whoever sees the {owner}: the {wire} they may see)"
        return f"The {wire} of {_a(owner)} (whoever sees the {owner} and its {wire}; null when it has none)"
    if method != "GET":
        return f"Refused: {wire} changes with its {owner} (nobody: always 403)"
    return f"The linkage of {_a(owner)}'s {wire} (whoever sees the {owner})"


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeio' else 'a'} {noun}"


def include_paths(serializer_class) -> list[str]:
    """What `include=` takes: each declared relationship, and each of its target's one level down."""
    paths = []
    for relationship in declared_relationships(serializer_class).values():
        paths.append(relationship.wire)
        paths += [
            f"{relationship.wire}.{nested.wire}"
            for nested in declared_relationships(relationship.target_serializer).values()
        ]
    return paths


def included_types(serializer_class) -> dict[str, type]:
    """The resource types this serializer's include paths reach, by type."""
    types = {}
    for relationship in declared_relationships(serializer_class).values():
        types.setdefault(relationship.target_type, relationship.target_serializer)
        for nested in declared_relationships(relationship.target_serializer).values():
            types.setdefault(nested.target_type, nested.target_serializer)
    return dict(sorted(types.items()))


def reachable_types(serializer_class) -> dict[str, type]:
    """The resource types a document of this serializer's may hold, by type: its own and those its
    include paths reach."""
    types = {resource_type(serializer_class): serializer_class, **included_types(serializer_class)}
    return dict(sorted(types.items()))


def resource_object(serializer, fields: dict, direction: str, method: str) -> dict:
    """The resource object `serializer` writes (an answer) or reads (a request body), from
    drf-spectacular's schemas of its fields, `fields`."""
    type_ = resource_type(type(serializer))
    properties = {"type": type_member(type_)}
    required = ["type"]
    if direction == "response" or method in ("PATCH", "PUT"):
        properties["id"] = {"type": "string"}
        required.append("id")
    if direction == "response" and registry.get(type_):
        properties["links"] = build_object_type(properties={"self": URI}, required=["self"])
    attributes, attributes_required, relationships, relationships_required = {}, [], {}, []
    declared = declared_relationships(type(serializer))
    # A request lists what a write takes: a read-only field, or a create-only one on an update, is ignored.
    ignored = set(serializer.create_only_fields) if method == "PATCH" else set()
    for name, field_schema in fields.items():
        field = serializer.fields[name]
        if name == "id" or (direction == "request" and (field.read_only or name in ignored)):
            continue
        is_relationship = isinstance(field, RelatedField | ManyRelatedField)
        if is_relationship:
            relationships[wire_name(name)] = relationship_object(
                serializer, field, declared.get(name), direction
            )
        else:
            attributes[wire_name(name)] = field_schema
        if direction == "request" and method == "POST" and field.required:
            (relationships_required if is_relationship else attributes_required).append(wire_name(name))
    # A request may hold attributes and relationships the resource does not take (a client sends
    # back what it read): they are ignored. An answer holds none but the resource's.
    only_these = direction == "response"
    for member, members, members_required in (
        ("attributes", attributes, attributes_required),
        ("relationships", relationships, relationships_required),
    ):
        if members:
            properties[member] = build_object_type(
                properties=members, required=members_required or None, additionalProperties=not only_these
            )
        if members_required:
            required.append(member)
    if direction == "request":  # openevent.parsers.RESOURCE_OBJECT_MEMBERS
        properties["links"] = properties["meta"] = {"type": "object"}
    return build_object_type(properties=properties, required=required, additionalProperties=False)


def relationship_object(serializer, field, declared, direction: str) -> dict:
    many = isinstance(field, ManyRelatedField)
    model_field = serializer.Meta.model._meta.get_field(field.source)
    target_type = (
        declared.target_type if declared else get_resource_type_from_model(model_field.related_model)
    )
    linkage = identifier(target_type)
    if many:
        data = build_array_type(linkage)
    else:  # what a request may send, or an answer hold
        nullable = field.allow_null if direction == "request" else model_field.null
        data = {**linkage, "nullable": True} if nullable else linkage
    properties = {"data": data}
    if direction == "response" and declared is not None:
        properties["links"] = RELATIONSHIP_LINKS
    # An answer's to-many linkage may be left out (an included resource's, a linked-only one's).
    required = ["data"] if direction == "request" or not many else None
    return build_object_type(properties=properties, required=required, additionalProperties=False)


def plain(component: str, /, many: bool = False, **fields) -> object:
    """A plain JSON answer's shape, named `component` in the schema: its fields, each a DRF field."""
    return inline_serializer(component, fields, many=many)


MESSAGE = plain("Message", message=drf_fields.CharField())


ERROR_DOCUMENT = build_object_type(
    properties={
        "errors": build_array_type(
            build_object_type(
                properties={
                    "status": {"type": "string"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                    "source": build_object_type(
                        properties={"pointer": {"type": "string"}, "parameter": {"type": "string"}}
                    ),
                },
                required=["status", "detail"],
            )
        )
    },
    required=["errors"],
)
