from rest_framework import permissions

from forms_builder import permissions as form_permissions
from forms_builder import services
from openevent.viewsets import ResourceModelViewSet

from .serializers import CustomFormSerializer


class CustomFormViewSet(ResourceModelViewSet):
    serializer_class = CustomFormSerializer
    permission_classes = [permissions.IsAuthenticated]
    error_answers = {
        "patch": {409: "A built-in field keeps its identifier, type, form and being asked."},
        "delete": {409: "A built-in field is not deleted."},
    }
    summaries = {
        "list": "List the fields of event forms (logged-in users: those of the events they see)",
        "create": "Add a field to an event's attendee, speaker or session form (event admins)",
        "retrieve": "Read a field of an event's form (logged-in users who see the event)",
        "partial_update": "Change a field of an event's form (event admins)",
        "destroy": "Delete a field of an event's form; its answers stay, retired (event admins)",
    }
    ordering_fields = ["position", "name"]
    filter_fields = {
        "event": "event",
        "form": "form",
        "field-type": "field_type",
        "is-included": "is_included",
    }

    @classmethod
    def visible(cls, user):
        return form_permissions.visible_fields(user)

    def perform_destroy(self, instance):
        services.delete_field(self.request.user, instance)
