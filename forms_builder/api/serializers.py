from rest_framework import serializers as fields

from events.api.serializers import EventChildSerializer, VisibleEventField
from forms_builder import services
from forms_builder.models import CustomForm

EVENT = "events.api.serializers.EventSerializer"


class CustomFormSerializer(EventChildSerializer):
    """One field of an event's attendee, speaker or session form. JSON:API keeps `type` for the
    resource type, so the field's type is `field-type`; sent as a `type` attribute, as
    shared/docs/API.md spells it (and the JSON:API parser lays it over the resource type), it is
    taken as `field-type`."""

    event = VisibleEventField()
    options = fields.ListField(
        child=fields.CharField(max_length=200),
        required=False,
        max_length=100,
        help_text="The choices of a select or checkbox field, in order.",
    )

    included_serializers = {"event": EVENT}
    create_only_fields = ("event", "form")

    class Meta:
        model = CustomForm
        resource_name = "custom-form"
        fields = [
            "form",
            "field_identifier",
            "field_type",
            "name",
            "description",
            "is_required",
            "is_included",
            "is_fixed",
            "is_public",
            "position",
            "options",
            "event",
        ]
        read_only_fields = ["is_fixed"]

    def to_internal_value(self, data):
        spelled = data.get("type")
        if spelled not in (None, self.Meta.resource_name):
            if data.get("field_type", spelled) != spelled:
                raise fields.ValidationError({"field_type": ["Send the field's type once: as field-type."]})
            data = {**data, "field_type": spelled}
        return super().to_internal_value(data)

    def create(self, validated_data):
        return services.save_field(self.actor, CustomForm(**validated_data))

    def update(self, instance, validated_data):
        return services.save_field(self.actor, instance, **validated_data)
