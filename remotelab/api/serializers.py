from rest_framework import serializers as drf_serializers

from openevent.resources import ResourceSerializer
from remotelab import services
from remotelab.models import LabScript


class LabScriptSerializer(ResourceSerializer):
    class Meta:
        model = LabScript
        resource_name = "lab-script"
        fields = ["title", "code", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.save_script(self.context["request"].user, LabScript(), **validated_data)

    def update(self, instance, validated_data):
        return services.save_script(self.context["request"].user, instance, **validated_data)


class FunctionCallSerializer(drf_serializers.Serializer):
    function = drf_serializers.CharField(trim_whitespace=False)
    stringify = drf_serializers.BooleanField(default=False)
