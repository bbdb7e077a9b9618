"""The Open Event frontend's filter syntax (flask-rest-jsonapi's), on every list:

    filter=[{"name": "state", "op": "eq", "val": "published"},
            {"or": [{"name": "name", "op": "ilike", "val": "%py%"}, {"not": {...}}]},
            {"name": "sessions", "op": "any", "val": {"name": "state", "op": "eq", "val": "accepted"}}]

A list holds when all its conditions do. `name` is a filterable field of the list (its view's
`filter_fields`, by wire name) or `id`, compared with `eq ne lt le gt ge`, `in_ notin_` (a
list), `like ilike` (a pattern: `%` any run, `_` one character, a backslash makes either
literal), or a declared relationship with `has` (to-one) or `any` (to-many) and a condition on
the target's filterable fields, one hop only. A relationship's targets are those the caller may
see (the target's `visible`), so a filter narrows the list and never probes what is hidden.
Anything else is a 400 naming the `filter` parameter.
"""

import json
import math

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Lookup, Q
from rest_framework.filters import BaseFilterBackend

from openevent.resources import BadQueryParameter, declared_relationships, registry
from openevent.validators import check_text, query_value

# Characters of the parameter: percent-encoded (up to 12 bytes a character), the longest still
# fits in a request line daphne reads (16 KB), with room for the path and other parameters.
MAX_LENGTH = 1200
MAX_CONDITIONS = 30
MAX_DEPTH = 6
MAX_LIST = 100  # values of an in_/notin_
COMPARISONS = {"eq": "exact", "ne": "exact", "lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}
LISTS = {"in_", "notin_"}
PATTERNS = {"like": "oe_like", "ilike": "oe_ilike"}
RELATIONSHIPS = {"has": False, "any": True}  # op: whether it follows a to-many relationship
OPERATORS = [*COMPARISONS, *LISTS, *PATTERNS, *RELATIONSHIPS]
SCALARS = str | int | float | bool


class Like(Lookup):
    """SQL LIKE with a backslash escape (case-insensitive for ASCII on SQLite, as LIKE is there)."""

    lookup_name = "oe_like"
    template = "{lhs} LIKE {rhs} ESCAPE '\\'"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return self.template.format(lhs=lhs, rhs=rhs), [*lhs_params, *rhs_params]


class ILike(Like):
    lookup_name = "oe_ilike"
    template = "UPPER({lhs}) LIKE UPPER({rhs}) ESCAPE '\\'"


for text_field in (models.CharField, models.TextField):
    text_field.register_lookup(Like)
    text_field.register_lookup(ILike)


class Invalid(Exception):
    pass


class Filterable:
    """What a filter may name on one resource: its fields, and its relationships to follow."""

    def __init__(self, view_class, serializer_class, user, follows_relationships: bool):
        self.model = serializer_class.Meta.model
        self.fields = {"id": self.model._meta.pk.name, **getattr(view_class, "filter_fields", {})}
        self.relationships = (
            {
                relationship.wire: relationship
                for relationship in declared_relationships(serializer_class).values()
            }
            if follows_relationships
            else {}
        )
        self.user = user

    def condition(self, node, where: str, budget: list[int], depth: int = 0) -> Q:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise Invalid(f"the filter has more than {MAX_CONDITIONS} conditions or nests too deep")
        if isinstance(node, list):
            return self.all_of(node, where, budget, depth)
        if not isinstance(node, dict):
            raise Invalid(f"{where} must be an object or a list of them")
        if set(node) in ({"and"}, {"or"}):
            (key,) = node
            if not isinstance(node[key], list) or not node[key]:
                raise Invalid(f"{where}.{key} must be a non-empty list")
            parts = [
                self.condition(item, f"{where}.{key}[{n}]", budget, depth + 1)
                for n, item in enumerate(node[key])
            ]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if key == "and" else combined | part
            return combined
        if set(node) == {"not"}:
            return ~self.condition(node["not"], f"{where}.not", budget, depth + 1)
        if set(node) != {"name", "op", "val"}:
            raise Invalid(f"{where} must have name, op and val, or be an and, or or not")
        if not isinstance(node["name"], str) or not isinstance(node["op"], str):
            raise Invalid(f"{where}: name and op are strings")
        return self.comparison(node["name"], node["op"], node["val"], where, budget, depth)

    def all_of(self, nodes: list, where: str, budget: list[int], depth: int) -> Q:
        combined = Q()
        for n, item in enumerate(nodes):
            combined &= self.condition(item, f"{where}[{n}]", budget, depth + 1)
        return combined

    def comparison(self, name, op, value, where: str, budget: list[int], depth: int) -> Q:
        if op not in OPERATORS:
            raise Invalid(f"{where}.op: {op!r} is not one of {', '.join(OPERATORS)}")
        if op in RELATIONSHIPS:
            return self.follow(name, op, value, where, budget, depth)
        if name not in self.fields:
            raise Invalid(f"{where}.name: {name!r} is not a filterable field here ({', '.join(self.fields)})")
        lookup = self.fields[name]
        field = self.model._meta.get_field(lookup)
        if op in LISTS:
            if not isinstance(value, list) or len(value) > MAX_LIST:
                raise Invalid(f"{where}.val: {op} takes a list of at most {MAX_LIST} values")
            values = [self.clean(field, item, where) for item in value]
            return ~Q(**{f"{lookup}__in": values}) if op == "notin_" else Q(**{f"{lookup}__in": values})
        if op in PATTERNS:
            if not isinstance(field, models.CharField | models.TextField):
                raise Invalid(f"{where}.op: {op} compares text, and {name} is not text")
            return Q(**{f"{lookup}__{PATTERNS[op]}": self.pattern(value, where)})
        if value is None:
            if op not in ("eq", "ne"):
                raise Invalid(f"{where}.val: only eq and ne compare with null")
            return Q(**{f"{lookup}__isnull": op == "eq"})
        condition = Q(**{f"{lookup}__{COMPARISONS[op]}": self.clean(field, value, where)})
        return ~condition if op == "ne" else condition

    def follow(self, name, op, value, where: str, budget: list[int], depth: int) -> Q:
        relationship = self.relationships.get(name)
        if relationship is None:
            known = ", ".join(self.relationships) or "none here"
            raise Invalid(f"{where}.name: {name!r} is not a relationship a filter may follow ({known})")
        if RELATIONSHIPS[op] != relationship.many:
            right = "any" if relationship.many else "has"
            raise Invalid(f"{where}.op: {name} is followed with {right}")
        target = registry[relationship.target_type].viewset
        inner = Filterable(target, relationship.target_serializer, self.user, follows_relationships=False)
        targets = target.visible(self.user).filter(inner.condition(value, f"{where}.val", budget, depth + 1))
        query_name = self.model._meta.get_field(relationship.source).name
        matching = self.model._default_manager.filter(**{f"{query_name}__in": targets.values("pk")})
        return Q(pk__in=matching.values("pk"))

    @staticmethod
    def clean(field, value, where: str):
        if (
            value is None
            or not isinstance(value, SCALARS)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise Invalid(f"{where}.val must be a string, a finite number or a boolean")
        try:
            return query_value(field, value)
        except ValidationError as error:
            raise Invalid(f"{where}.val: {' '.join(error.messages)}") from error

    @staticmethod
    def pattern(value, where: str) -> str:
        if not isinstance(value, str) or len(value) > 200:
            raise Invalid(f"{where}.val: a pattern is a string of at most 200 characters")
        try:
            check_text(value)
        except ValidationError as error:
            raise Invalid(f"{where}.val: {' '.join(error.messages)}") from error
        escaping = False
        for character in value:
            if escaping and character not in "%_\\":
                raise Invalid(f"{where}.val: a backslash escapes only %, _ or a backslash")
            escaping = not escaping and character == "\\"
        if escaping:
            raise Invalid(f"{where}.val: a pattern cannot end with a lone backslash")
        return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


class OpenEventFilter(BaseFilterBackend):
    """`filter=[...]`: see the module's docstring."""

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get("filter")
        if raw is None:
            return queryset
        try:
            if len(raw) > MAX_LENGTH:
                raise Invalid(f"the filter is longer than {MAX_LENGTH} characters")
            try:
                parsed = json.loads(raw, parse_constant=_no_constants)
            except (ValueError, RecursionError) as error:
                raise Invalid(f"the filter is not JSON: {error}") from error
            if not isinstance(parsed, list):
                raise Invalid("the filter must be a list of conditions")
            resource = Filterable(view, view.get_serializer_class(), request.user, follows_relationships=True)
            condition = resource.all_of(parsed, "filter", [MAX_CONDITIONS], 0)
        except Invalid as error:
            raise BadQueryParameter("filter", f"Invalid filter: {error}.") from error
        return queryset.filter(condition)

    def get_schema_operation_parameters(self, view):
        fields = ", ".join(["id", *getattr(view, "filter_fields", {})])
        declared = declared_relationships(view.get_serializer_class()).values()
        relationships = ", ".join(relationship.wire for relationship in declared) or "none"
        return [
            {
                "name": "filter",
                "in": "query",
                "required": False,
                "description": "Conditions as a JSON list, all of which hold: "
                '`[{"name": field, "op": op, "val": value}]`, nested in `and`, `or` and `not`; '
                "ops `eq ne lt le gt ge in_ notin_ like ilike`, and `has`/`any` with a condition on a "
                f"relationship's target. Fields: {fields}. Relationships: {relationships}.",
                "schema": {"type": "string", "maxLength": MAX_LENGTH},
            }
        ]
