"""JSON:API resources (shared/docs/API.md, Conventions): compound documents, sparse fieldsets,
links, and the related and relationship endpoints.

Each resource type has one view set, registered here with its URL prefix, and says who sees
what in one place, `visible(user)`. Everything else asks it:

- its collection and its objects (`/v1/sessions`, `/v1/sessions/{id}`);
- a related endpoint (`/v1/sessions/{id}/speakers`, `/v1/sessions/{id}/event`): the target's
  collection, or object, narrowed to what the parent links to, once the parent is visible;
- a relationship endpoint (`/v1/sessions/{id}/relationships/speakers`): the same, as linkage;
- `include=speakers`: the included speakers are found through the speakers' `visible` (their
  linkage is read through it), so `included` never shows what a direct GET would 404.

A serializer declares its relationships in DJA's `included_serializers`; those get links, a
related and a relationship endpoint, and may be included (one dotted level deep). Their fields
are `Relationship`s, which know their type once per request instead of once per row. Those
whose targets anyone who sees the parent sees too (a session's speakers) are named in the
serializer's `seen_with_parent`: their linkage is read without the targets' visibility filter.
"""

import copy
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ForeignObjectRel
from django.utils.timezone import get_current_timezone, is_naive
from rest_framework import exceptions
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject
from rest_framework.settings import ISO_8601, api_settings
from rest_framework_json_api import serializers
from rest_framework_json_api.relations import ResourceRelatedField, SkipDataMixin
from rest_framework_json_api.utils import format_value, get_resource_type_from_model

from openevent.validators import query_value

API_PREFIX = "/v1/"
MAX_INCLUDE_DEPTH = 2  # `sessions.speakers`, no deeper


class BadQueryParameter(exceptions.ParseError):
    """A query parameter the request cannot be answered with (400), named in `source.parameter`."""

    def __init__(self, parameter: str, detail: str):
        super().__init__(detail)
        self.source = {"parameter": parameter}


class RelatedNotFound(exceptions.NotFound):
    """A relationship names a resource that does not exist for the caller (404, JSON:API's answer
    for a missing related resource), pointed at in `source.pointer`."""

    def __init__(self, detail: str, pointer: str):
        super().__init__(detail)
        self.source = {"pointer": pointer}


@lru_cache(maxsize=1024)  # bounded: query parameters bring names from anyone
def wire_name(name: str) -> str:
    """The dasherized name a field has on the wire (`starts_at` → `starts-at`)."""
    return format_value(name, "dasherize")


@lru_cache(maxsize=1024)
def python_name(name: str) -> str:
    return format_value(name, "underscore")


def resource_type(serializer_class) -> str:
    return serializer_class.Meta.resource_name


class Relationship(ResourceRelatedField):
    """A relationship whose linkage is rendered from the foreign key alone: its type is found
    once per field (per request), and an unknown or invisible target is a 404 with the
    relationship's pointer, as JSON:API asks of a related resource that does not exist."""

    def use_pk_only_optimization(self):
        return True

    @property
    def relationship_name(self) -> str:
        return self.field_name or self.parent.field_name

    def resource_type(self) -> str:
        """The declared target's type, else that of the model field's target model."""
        if not hasattr(self, "_resource_type"):
            serializer = self.get_parent_serializer()
            declared = declared_relationships(type(serializer)).get(self.relationship_name)
            if declared is not None:
                self._resource_type = declared.target_type
            else:
                source = self.source or self.parent.source
                model = serializer.Meta.model._meta.get_field(source).related_model
                self._resource_type = get_resource_type_from_model(model)
        return self._resource_type

    def to_representation(self, value):
        return {"type": self.resource_type(), "id": str(value.pk)}

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except (exceptions.ValidationError, DjangoValidationError) as error:  # Django's: not a UUID
            if isinstance(error, exceptions.ValidationError) and error.get_codes() != ["does_not_exist"]:
                raise
            raise self.not_found(data.get("id") if isinstance(data, dict) else data) from error

    def not_found(self, identifier) -> RelatedNotFound:
        """The 404 for a target that is missing, or hidden from the caller: the same answer."""
        model = self.get_queryset().model
        return RelatedNotFound(
            f"{model._meta.verbose_name.capitalize()}: {identifier} not found",
            f"/data/relationships/{wire_name(self.relationship_name)}",
        )

    @classmethod
    def many_init(cls, *args, **kwargs):
        return ManyRelationship(
            child_relation=cls(*args, **kwargs),
            **{key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS},
        )

    def identifier(self, data):
        """The id of a resource identifier object of this relationship's type, checked as DJA's
        to_internal_value checks one (a 409 for another type)."""
        if not isinstance(data, dict):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if "type" not in data:
            self.fail("missing_type")
        if "id" not in data:
            self.fail("missing_id")
        if data["type"] != self.resource_type():
            self.conflict(
                "incorrect_relation_type", relation_type=self.resource_type(), received_type=data["type"]
            )
        return data["id"]

    def find_all(self, items: list) -> list:
        """The targets of a list of resource identifier objects, in one query however long it is;
        the first one missing or hidden is a 404 as in to_internal_value."""
        ids = [self.identifier(item) for item in items]
        queryset = self.get_queryset()
        pk_field = queryset.model._meta.pk
        keys = []
        for identifier in ids:
            try:
                keys.append(query_value(pk_field, identifier))  # an id the database can hold, or None
            except DjangoValidationError:
                keys.append(None)
        found = queryset.in_bulk([key for key in keys if key is not None])
        for identifier, key in zip(ids, keys, strict=True):
            if key not in found:
                raise self.not_found(identifier)
        return [found[key] for key in keys]


class ManyRelationship(serializers.ManyRelatedField):
    """A to-many relationship whose linkage is looked up in one query (Relationship.find_all)."""

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        return self.child_relation.find_all(list(data))


# What a JSON value must be for a field (DRF would take 12 for "12", and "yes" for true).
JSON_TYPES = (
    (drf_fields.CharField, str, "Not a valid string."),
    (drf_fields.BooleanField, bool, "Must be true or false."),
)


def check_json_types(serializer, data) -> None:
    """A ValidationError (422) naming each field of `serializer` that `data` gives a value of
    another JSON type (null is each field's own to refuse)."""
    if not isinstance(data, dict):
        return
    errors = {
        field.field_name: [message]
        for field in serializer._writable_fields
        for field_class, json_type, message in JSON_TYPES
        if isinstance(field, field_class)
        and data.get(field.field_name) is not None
        and not isinstance(data[field.field_name], json_type)
    }
    if errors:
        raise exceptions.ValidationError(errors)


_BUILT_FIELDS: dict[type, dict] = {}


class ResourceSerializer(serializers.ModelSerializer):
    """A resource's serializer. What a row needs is planned once per serializer (once per
    request), not once per row: the sparse fieldset, and how each field reads its value, so plain
    columns and foreign keys skip DRF's per-field machinery. Declared to-many relationships are
    the renderer's (openevent.renderers), which reads their linkage for a whole page at once."""

    serializer_related_field = Relationship
    create_only_fields: tuple[str, ...] = ()  # set when the object is made, read-only after

    def get_fields(self):
        """DRF's fields, built from the model once per class and copied for each serializer; on
        an update, the create-only ones read-only."""
        built = _BUILT_FIELDS.get(type(self))
        if built is None:
            built = _BUILT_FIELDS[type(self)] = super().get_fields()
        fields = {name: _copy_field(field) for name, field in built.items()}
        if isinstance(self.instance, self.Meta.model):
            for name in self.create_only_fields:
                fields[name].read_only = True
        return fields

    @property
    def rendered_fields(self) -> list:
        """The readable fields the request's sparse fieldset leaves (DJA's SparseFieldsetsMixin)."""
        if not hasattr(self, "_rendered_fields"):
            self._rendered_fields = list(super()._readable_fields)
        return self._rendered_fields

    @property
    def _readable_fields(self):
        declared = declared_relationships(type(self))
        return [field for field in self.rendered_fields if not _is_declared_to_many(field, declared)]

    def to_internal_value(self, data):
        check_json_types(self, data)
        return super().to_internal_value(data)

    def to_representation(self, instance):
        if not hasattr(self, "_readers"):
            timezone = get_current_timezone() if settings.USE_TZ else None
            self._readers = [(field.field_name, _reader(field, timezone)) for field in self._readable_fields]
        row = {}
        for name, read in self._readers:
            value = read(instance)
            if value is not SKIPPED:
                row[name] = value
        return row


def _copy_field(field):
    """A field of its own for one serializer. DRF's deepcopy builds each field anew through its
    __init__; a copy of the object does, as binding sets what differs on the copy and nothing
    changes a field's settings in place. A field that holds another (a to-many relationship's
    child, a list's or a dict's child, a nested serializer's fields) is bound to it, so that one
    is built anew."""
    if isinstance(field, serializers.ManyRelatedField | serializers.BaseSerializer) or hasattr(
        field, "child"
    ):
        return copy.deepcopy(field)
    return copy.copy(field)


def _model_field(field, attribute):
    try:
        return field.parent.Meta.model._meta.get_field(attribute) if attribute else None
    except FieldDoesNotExist:
        return None


def _is_declared_to_many(field, declared) -> bool:
    return field.field_name in declared and declared[field.field_name].many


SKIPPED = object()  # a field that leaves itself out of the row
PLAIN_TYPES = (str, bool, int)
# DRF fields that hand a str, bool or int value on unchanged.
PLAIN_REPRESENTATIONS = {
    drf_fields.CharField.to_representation,
    drf_fields.BooleanField.to_representation,
    drf_fields.IntegerField.to_representation,
    drf_fields.ChoiceField.to_representation,
}


def _reader(field, timezone):
    """How a row reads `field`: straight from the attribute where DRF would hand a plain value
    on as it is (or only format it), else as DRF does."""

    def read_with_drf(instance):
        try:
            value = field.get_attribute(instance)
        except SkipField:
            return SKIPPED
        if (value.pk if isinstance(value, PKOnlyObject) else value) is None:
            return None
        return field.to_representation(value)

    attribute = field.source_attrs[0] if len(field.source_attrs) == 1 else None
    kind = type(field).to_representation
    if attribute and kind in PLAIN_REPRESENTATIONS:

        def read_plain(instance):
            value = getattr(instance, attribute)
            return value if value is None or isinstance(value, PLAIN_TYPES) else read_with_drf(instance)

        return read_plain
    if (
        attribute
        and timezone is not None
        and kind is drf_fields.DateTimeField.to_representation
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
    ):

        def read_datetime(instance):
            value = getattr(instance, attribute)
            if not isinstance(value, datetime) or is_naive(value):
                return read_with_drf(instance)
            text = value.astimezone(timezone).isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text

        return read_datetime
    model_field = _model_field(field, attribute)
    if isinstance(field, Relationship) and model_field is not None and model_field.many_to_one:
        column = model_field.attname

        def read_foreign_key(instance):
            value = getattr(instance, column)
            return None if value is None else {"type": field.resource_type(), "id": str(value)}

        return read_foreign_key
    return read_with_drf


@dataclass(frozen=True)
class Declared:
    """A relationship a serializer declares: its field's source on the model, its target, and
    how the target refers back (`lookup`, on the target's model; a foreign key's column for a
    to-one relationship)."""

    name: str
    source: str
    many: bool
    target_serializer: type
    with_data: bool  # its linkage is rendered always, not only when it is included
    lookup: str
    seen_with_parent: bool  # who sees the parent sees all these targets: no need to ask `visible`

    @property
    def wire(self) -> str:
        return wire_name(self.name)

    @property
    def target_type(self) -> str:
        return resource_type(self.target_serializer)

    def target_ids(self, user, parent_ids) -> dict:
        """{parent id: [target id, ...]} for these parents, among the targets the user may see:
        one query, no model objects, in the targets' order. The parents must be visible to the user."""
        if self.seen_with_parent:
            targets = self.target_serializer.Meta.model._default_manager.all()
        else:
            targets = registry[self.target_type].viewset.visible(user)
        linkage = {parent_id: [] for parent_id in parent_ids}
        for parent_id, target_id in targets.filter(**{f"{self.lookup}__in": parent_ids}).values_list(
            self.lookup, "pk"
        ):
            linkage[parent_id].append(target_id)
        return linkage


def _lookup(model, source: str, many: bool) -> str:
    field = model._meta.get_field(source)
    if not many:
        return field.attname
    if isinstance(field, ForeignObjectRel):  # a reverse relation: the targets point at the parent
        return field.field.name
    return field.related_query_name()


@cache
def declared_relationships(serializer_class) -> dict[str, Declared]:
    included = getattr(serializer_class, "included_serializers", None) or {}
    fields = serializer_class().fields
    declared = {}
    for name in included:
        field = fields[name]
        many = isinstance(field, serializers.ManyRelatedField)
        declared[name] = Declared(
            name=name,
            source=field.source,
            many=many,
            target_serializer=included[name],
            with_data=not isinstance(field, SkipDataMixin)
            and not isinstance(getattr(field, "child_relation", None), SkipDataMixin),
            lookup=_lookup(serializer_class.Meta.model, field.source, many),
            seen_with_parent=name in getattr(serializer_class, "seen_with_parent", ()),
        )
    return declared


@cache
def undeclared_to_many(serializer_class) -> tuple[str, ...]:
    """The sources of the to-many relationships a serializer renders but does not declare: they
    are prefetched whole (a track's organizers)."""
    declared = declared_relationships(serializer_class)
    return tuple(
        field.source
        for name, field in serializer_class().fields.items()
        if isinstance(field, serializers.ManyRelatedField) and name not in declared and not field.write_only
    )


@cache
def readable_field_names(serializer_class) -> frozenset[str]:
    return frozenset(name for name, field in serializer_class().fields.items() if not field.write_only)


@dataclass(frozen=True)
class Resource:
    prefix: str
    viewset: type

    @property
    def serializer_class(self):
        return self.viewset.serializer_class


class Registry:
    """Every resource type, by type: its URL prefix and view set."""

    def __init__(self):
        self.resources: dict[str, Resource] = {}

    def register(self, prefix: str, viewset) -> None:
        self.resources[resource_type(viewset.serializer_class)] = Resource(prefix, viewset)

    def __getitem__(self, type_: str) -> Resource:
        return self.resources[type_]

    def get(self, type_: str) -> Resource | None:
        return self.resources.get(type_)


registry = Registry()


def parse_includes(request, serializer_class) -> dict:
    """`include=sessions.speakers,event` as a tree, {"sessions": {"speakers": {}}, "event": {}},
    each name a declared relationship of the type it hangs off. Anything else is a 400."""
    value = request.query_params.get("include")
    if not value:  # absent, or empty: include nothing
        return {}
    tree: dict = {}
    for include in value.split(","):
        names = include.split(".")
        if len(names) > MAX_INCLUDE_DEPTH:
            raise BadQueryParameter("include", f"{include}: includes go one dotted level deep at most.")
        node, current = tree, serializer_class
        for name in names:
            relationship = declared_relationships(current).get(python_name(name))
            if relationship is None or name != relationship.wire:
                raise BadQueryParameter(
                    "include", f"{include}: {resource_type(current)} has no relationship {name!r} to include."
                )
            node = node.setdefault(relationship.name, {})
            current = relationship.target_serializer
    return tree


def check_query_parameters(request) -> None:
    """Each parameter once (the last of two would silently win), and paging by number and size."""
    for parameter in request.query_params:
        if len(request.query_params.getlist(parameter)) > 1:
            raise BadQueryParameter(parameter, f"{parameter} is given more than once.")
        if parameter in ("fields", "page") or (
            parameter.startswith("page[") and parameter not in ("page[number]", "page[size]")
        ):
            raise BadQueryParameter(
                parameter,
                f"{parameter} is not a parameter of this API: see page[number], page[size], fields[type].",
            )


def check_sparse_fieldsets(request, serializer_class) -> None:
    """`fields[type]=a,b`: each type a resource (a registered one, or the view's own,
    `serializer_class`'s), each name one of its fields as on the wire; an empty value asks for none
    of them."""
    own_type = resource_type(serializer_class)
    for parameter, value in request.query_params.items():
        if not parameter.startswith("fields["):
            continue
        type_ = parameter.removeprefix("fields[").removesuffix("]")
        resource = registry.get(type_)
        if not parameter.endswith("]") or (resource is None and type_ != own_type):
            raise BadQueryParameter(parameter, f"{type_} is not a resource type.")
        known = readable_field_names(serializer_class if type_ == own_type else resource.serializer_class)
        unknown = [
            name
            for name in (value.split(",") if value else [])
            if python_name(name) not in known or wire_name(python_name(name)) != name
        ]
        if unknown:
            raise BadQueryParameter(parameter, f"{type_} has no field {', '.join(unknown)}.")
