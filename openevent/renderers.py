"""The JSON:API renderer: resource objects with links, relationships with linkage and links,
and the compound document's `included`.

DJA's renderer does the work of a field once per row (its type, its wire name, its links
through `reverse`, a serializer per included object). Here a type's layout is worked out once
per request (`Layout`), the linkage of a to-many relationship is one query for the whole page
(`Declared.target_ids`, through the target's `visible`), each included relationship is one
query for the targets that linkage (or, for a to-one, the target's `visible`) admits and one
serializer pass, and links are the registered prefix plus the id. So `included` holds only
what a direct GET of each object would show. More than MAX_INCLUDED included resources is a
400: a to-many relationship has no page of its own here (its related link has).
"""

from functools import cached_property

import orjson
from rest_framework import renderers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.utils.encoders import JSONEncoder
from rest_framework_json_api import renderers as jsonapi_renderers
from rest_framework_json_api.utils import format_field_names

from openevent.resources import (
    API_PREFIX,
    BadQueryParameter,
    ResourceSerializer,
    declared_relationships,
    registry,
    resource_type,
    undeclared_to_many,
    wire_name,
)

MAX_INCLUDED = 1000  # resources in one document's `included`
# orjson writes what DRF's compact UTF-8 json.dumps writes, ten times faster; what it does not know,
# and datetimes (for DRF's format), it hands to DRF's encoder.
ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
DRF_ENCODER = JSONEncoder()


class Layout:
    """How one resource type renders in this request: its attributes and relationships as the
    sparse fieldset leaves them, and where its links point."""

    def __init__(self, serializer, base_url: str):
        self.type = resource_type(serializer)
        resource = registry.get(self.type)
        self.url = f"{base_url}{resource.prefix}/" if resource else None
        declared = declared_relationships(type(serializer))
        self.attributes = []
        self.relationships = []  # (name, wire name, declared target type, link suffixes or None)
        for field in serializer.rendered_fields:
            name = field.field_name
            if isinstance(field, RelatedField | ManyRelatedField):
                wire, relationship = wire_name(name), declared.get(name)
                links = (f"/relationships/{wire}", f"/{wire}") if relationship and self.url else None
                target_type = relationship.target_type if relationship else None
                self.relationships.append((name, wire, target_type, links))
            elif name != "id":
                self.attributes.append((name, wire_name(name)))

    def resource(self, row: dict, instance, linkage: dict) -> dict:
        id_ = str(instance.pk)
        url = f"{self.url}{id_}" if self.url else None
        resource = {"type": self.type, "id": id_}
        if self.attributes:
            resource["attributes"] = {wire: row[name] for name, wire in self.attributes if name in row}
        relationships = {}
        for name, wire, target_type, links in self.relationships:
            if name in row:
                relationship = {"data": row[name]}
            elif name in linkage:
                targets = linkage[name][instance.pk]
                relationship = {"data": [{"type": target_type, "id": str(pk)} for pk in targets]}
            else:
                relationship = {}
            if links:
                relationship["links"] = {"self": url + links[0], "related": url + links[1]}
            relationships[wire] = relationship
        if relationships:
            resource["relationships"] = relationships
        if url:
            resource["links"] = {"self": url}
        return resource


class JSONRenderer(jsonapi_renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        rows = data.get("results") if isinstance(data, dict) and "results" in data else data
        serializer = getattr(rows, "serializer", None)
        resource_serializer = getattr(serializer, "child", serializer)
        if not isinstance(resource_serializer, ResourceSerializer) or (
            response and response.status_code >= 400
        ):
            return super().render(data, accepted_media_type, renderer_context)
        document = Document(
            renderer_context["request"], getattr(renderer_context.get("view"), "includes", {})
        )
        many = serializer is not resource_serializer
        instances = list(serializer.instance) if many else [serializer.instance]
        try:
            primary = document.resources(
                resource_serializer, rows if many else [rows], instances, document.includes
            )
        except BadQueryParameter as error:  # found while rendering: the answer becomes the error
            from openevent.api import error_object  # not at the top: openevent.api imports DRF's views

            response.status_code = error.status_code
            body = {"errors": [{**error_object(error.status_code, error.detail), "source": error.source}]}
            return self.dump(body, accepted_media_type, renderer_context)
        body = {}
        if isinstance(data, dict) and data.get("links"):
            body["links"] = data["links"]
        body["data"] = primary if many else primary[0]
        if document.includes:
            for resource in primary:
                document.included.pop((resource["type"], resource["id"]), None)
            body["included"] = [document.included[key] for key in sorted(document.included)]
        if isinstance(data, dict) and data.get("meta"):
            body["meta"] = format_field_names(data["meta"])
        return self.dump(body, accepted_media_type, renderer_context)

    def dump(self, body, accepted_media_type, renderer_context) -> bytes:
        """`body` as DRF's JSONRenderer writes it: by orjson, unless asked to indent."""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return renderers.JSONRenderer.render(self, body, accepted_media_type, renderer_context)
        content = orjson.dumps(body, default=DRF_ENCODER.default, option=ORJSON_OPTIONS)
        # As DRF does, so that the JSON is JavaScript too.
        return content.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


class Document:
    """One compound document being rendered: its layouts and what it includes so far."""

    def __init__(self, request, includes: dict):
        self.request = request
        self.includes = includes
        self.layouts: dict[type, Layout] = {}
        self.included: dict[tuple[str, str], dict] = {}

    @cached_property
    def base_url(self) -> str:
        return self.request.build_absolute_uri(API_PREFIX)

    def layout(self, serializer) -> Layout:
        if type(serializer) not in self.layouts:
            self.layouts[type(serializer)] = Layout(serializer, self.base_url)
        return self.layouts[type(serializer)]

    def resources(self, serializer, rows, instances, includes: dict, primary: bool = True) -> list[dict]:
        """The resource objects of `instances`, and (into `included`) what they include. Included
        ones carry the linkage of a to-many relationship only where it is included in turn (the
        links lead to the rest): JSON:API asks full linkage of the primary data only."""
        layout = self.layout(serializer)
        declared = declared_relationships(type(serializer))
        shown = {name for name, _, target_type, _ in layout.relationships if target_type is not None}
        ids = [instance.pk for instance in instances]
        linkage = {
            name: relationship.target_ids(self.request.user, ids)
            for name, relationship in declared.items()
            if relationship.many
            and ((primary and relationship.with_data and name in shown) or name in includes)
        }
        pairs = zip(rows, instances, strict=True)
        resources = [layout.resource(row, instance, linkage) for row, instance in pairs]
        for name, nested in includes.items():
            relationship = declared[name]
            if relationship.many:
                target_ids = {pk for targets in linkage[name].values() for pk in targets}
            else:
                target_ids = {getattr(instance, relationship.lookup) for instance in instances} - {None}
            if len(self.included) + len(target_ids) > MAX_INCLUDED:
                raise BadQueryParameter(
                    "include",
                    f"This include brings more than {MAX_INCLUDED} resources: ask for a smaller page, "
                    f"or follow the relationships' related links, which page.",
                )
            if target_ids:
                self.include(relationship, target_ids, nested, serializer.context)
        return resources

    def include(self, relationship, target_ids: set, includes: dict, context: dict) -> None:
        target = registry[relationship.target_type]
        missing = {pk for pk in target_ids if (relationship.target_type, str(pk)) not in self.included}
        if relationship.many:  # the linkage was read through the target's `visible` already
            targets = relationship.target_serializer.Meta.model._default_manager.all()
        else:  # a foreign key: the target may be one the caller does not see
            targets = target.viewset.visible(self.request.user)
        targets = (  # in no order: `included` is sorted by type and id
            targets.filter(pk__in=missing)
            .order_by()
            .prefetch_related(*undeclared_to_many(relationship.target_serializer))
        )
        objects = list(targets)
        serializer = relationship.target_serializer(objects, many=True, context=context)
        for resource in self.resources(serializer.child, serializer.data, objects, includes, primary=False):
            self.included[(resource["type"], resource["id"])] = resource
