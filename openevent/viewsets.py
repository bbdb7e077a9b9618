"""The view sets of JSON:API resources (see openevent.resources): their collections and
objects, their related endpoints, and their relationship endpoints."""

from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework import serializers as fields
from rest_framework.renderers import JSONRenderer as PlainJSONRenderer
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from openevent.negotiation import JSONAPI_MEDIA_TYPE
from openevent.resources import (
    API_PREFIX,
    Declared,
    Resource,
    check_query_parameters,
    check_sparse_fieldsets,
    declared_relationships,
    parse_includes,
    registry,
    resource_type,
    undeclared_to_many,
)
from openevent.schema import plain


@dataclass(frozen=True)
class Parent:
    """The resource a related endpoint hangs off, and the relationship it follows."""

    viewset: type
    relationship: Declared

    def get(self, request, pk) -> models.Model:
        return get_object_or_404(self.viewset.visible(request.user), pk=pk)

    def narrow(self, queryset: QuerySet, parent: models.Model) -> QuerySet:
        """The targets of the relationship among `queryset`."""
        if self.relationship.many:
            return queryset.filter(**{self.relationship.lookup: parent.pk})
        return queryset.filter(pk=self.target_id(parent))

    def target_id(self, parent: models.Model):
        """A to-one relationship's target (its foreign key), visible or not."""
        return getattr(parent, self.relationship.lookup)


class ResourceQueryMixin:
    """A resource view's query checks: each parameter once, known `include` paths and sparse
    fieldsets (openevent.resources)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_query_parameters(request)
        self.includes = parse_includes(request, self.get_serializer_class())
        check_sparse_fieldsets(request, self.get_serializer_class())


class ResourceViewSet(ResourceQueryMixin, viewsets.GenericViewSet):
    """A resource's collection and objects: what `visible(user)` holds. A related endpoint sets
    `parent`, narrowing the collection to what the parent links to, the parent itself visible;
    a to-one one answers with `retrieve_related`. Add DRF's mixins for the actions a resource has
    (`ResourceModelViewSet` has them all)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[0-9]+"  # not \d, which takes any script's digits
    parent: Parent | None = None
    select_related: tuple[str, ...] = ()

    @classmethod
    def visible(cls, user) -> QuerySet:
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action in ("create", "partial_update") and not request.data:
            raise exceptions.ParseError(
                "The body must be a JSON:API document with the resource object as data."
            )
        if self.action == "create" and "id" in request.data:  # as JSON:API asks
            raise exceptions.PermissionDenied("The server assigns ids: leave out the resource object's id.")

    def get_queryset(self):
        queryset = self.visible(self.request.user)
        if self.parent is not None:
            queryset = self.parent.narrow(queryset, self.parent_object)
        if self.select_related:  # with no names, select_related() would follow every foreign key
            queryset = queryset.select_related(*self.select_related)
        return self.prefetched(queryset)

    def prefetched(self, queryset: QuerySet) -> QuerySet:
        """`queryset` with the relationships its serializer renders but does not declare (the
        renderer reads declared ones for a whole page). An action that lists another resource
        reads its parent through `get_queryset`: that one is left be."""
        serializer_class = self.get_serializer_class()
        if queryset.model is not serializer_class.Meta.model:
            return queryset
        return queryset.prefetch_related(*undeclared_to_many(serializer_class))

    @property
    def parent_object(self) -> models.Model:
        if not hasattr(self, "_parent_object"):
            self._parent_object = self.parent.get(self.request, self.kwargs["pk"])
        return self._parent_object

    def get_object(self):
        if self.parent is None:
            return super().get_object()
        instance = get_object_or_404(self.filter_queryset(self.get_queryset()))
        self.check_object_permissions(self.request, instance)
        return instance

    def retrieve_related(self, request, *args, **kwargs):
        """`GET /v1/<type>/{id}/<to-one relationship>`: its target, or null when it has none."""
        if self.parent.target_id(self.parent_object) is None:
            return Response(None)
        return Response(self.get_serializer(self.get_object()).data)


class ResourceModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    ResourceViewSet,
):
    pass


class LinkageRenderer(PlainJSONRenderer):
    media_type = JSONAPI_MEDIA_TYPE


class RelationshipView(APIView):
    """`GET /v1/<type>/{id}/relationships/<name>`: the relationship's linkage, as the caller may
    see its targets. Relationships change with the resource (PATCH it), not here: 403."""

    parent: Parent = None
    renderer_classes = [LinkageRenderer]

    def get(self, request, pk):
        parent_object = self.parent.get(request, pk)
        relationship = self.parent.relationship
        target_type = relationship.target_type
        if relationship.many:
            target_ids = relationship.target_ids(request.user, [parent_object.pk])[parent_object.pk]
            data = [{"type": target_type, "id": str(target_id)} for target_id in target_ids]
        else:
            target_id = self.parent.target_id(parent_object)
            data = None if target_id is None else {"type": target_type, "id": str(target_id)}
        url = request.build_absolute_uri(request.path)
        related = f"{url.rsplit('/relationships/', 1)[0]}/{relationship.wire}"
        return Response({"data": data, "links": {"self": url, "related": related}})

    def _unsupported(self, request, pk):
        raise exceptions.PermissionDenied("Change a relationship by updating its resource.")

    post = patch = delete = _unsupported


def resource_urls() -> list:
    """Each resource's collection, objects and actions, then its related and relationship
    endpoints. Call it once every app's API has registered its resources."""
    router = SimpleRouter(trailing_slash=False)
    patterns = []
    for type_, resource in registry.resources.items():
        router.register(resource.prefix, resource.viewset, basename=type_)
        for relationship in declared_relationships(resource.serializer_class).values():
            patterns += _relationship_urls(resource, relationship)
    return [*patterns, *router.urls]


def _relationship_urls(resource: Resource, relationship: Declared) -> list:
    target = registry[relationship.target_type]
    parent = Parent(resource.viewset, relationship)
    action = "list" if relationship.many else "retrieve_related"
    related = target.viewset.as_view({"get": action}, parent=parent)
    name = f"{resource_type(resource.serializer_class)}-{relationship.wire}"
    object_path = f"^{resource.prefix}/(?P<pk>{resource.viewset.lookup_value_regex})"
    return [
        re_path(f"{object_path}/{relationship.wire}$", related, name=name),
        re_path(
            f"{object_path}/relationships/{relationship.wire}$",
            RelationshipView.as_view(parent=parent),
            name=f"{name}-relationship",
        ),
    ]


class ApiRootView(APIView):
    """`GET /v1`: a JSON:API document linking every resource collection."""

    renderer_classes = [LinkageRenderer]

    @extend_schema(
        summary="The API's entry: a link to every resource collection (anyone)",
        responses={
            200: plain(
                "ApiRoot",
                jsonapi=fields.DictField(),
                meta=fields.DictField(),
                links=fields.DictField(child=fields.URLField()),
            )
        },
    )
    def get(self, request):
        base = request.build_absolute_uri(API_PREFIX)
        collections = {
            type_: f"{base}{resource.prefix}"
            for type_, resource in sorted(registry.resources.items())
            if hasattr(resource.viewset, "list")
        }
        return Response(
            {
                "jsonapi": {"version": "1.0"},
                "meta": {"name": "OpenEvent API", "documentation": "shared/docs/API.md"},
                "links": {"self": base, **collections},
            }
        )
