from rest_framework import exceptions
from rest_framework_json_api import serializers
from rest_framework_json_api.relations import ResourceRelatedField

from accounts.models import User
from events import permissions as event_permissions
from events.api.serializers import VisibleEventField
from speakers import permissions, services
from speakers.models import Session, Speaker, Sponsor, Track


class EventChildSerializer(serializers.ModelSerializer):
    """An object of one event: the event is set when it is made and never moves."""

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, self.Meta.model):
            fields["event"].read_only = True
        return fields

    @property
    def actor(self) -> User:
        return self.context["request"].user


class VisibleTrackField(ResourceRelatedField):
    """Tracks of events the caller cannot see do not exist for them."""

    def get_queryset(self):
        return permissions.visible_tracks(self.context["request"].user)


class TrackOrganizerField(ResourceRelatedField):
    """Users who may be made organizers of a track: track organizers of the caller's events."""

    def get_queryset(self):
        return event_permissions.track_organizers_of(
            event_permissions.administered_events(self.context["request"].user)
        )


class SessionSerializer(EventChildSerializer):
    # A draft event one may see but not submit to is a 404 from the service.
    event = VisibleEventField()
    track = VisibleTrackField(required=False, allow_null=True)
    speakers = ResourceRelatedField(many=True, read_only=True)
    creator = ResourceRelatedField(read_only=True)

    class Meta:
        model = Session
        resource_name = "session"
        fields = [
            "title",
            "subtitle",
            "short_abstract",
            "long_abstract",
            "level",
            "language",
            "state",
            "created_at",
            "event",
            "track",
            "speakers",
            "creator",
        ]

    def create(self, validated_data):
        return services.create_session(self.actor, Session(**validated_data))

    def update(self, instance, validated_data):
        return services.update_session(self.actor, instance, **validated_data)


class OwnSessionsField(ResourceRelatedField):
    """Sessions a speaker gives. An unknown id is answered like one that is not the caller's."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except exceptions.ValidationError as error:
            if isinstance(data, dict) and data.get("type") == "session":
                raise exceptions.NotFound(f"Session: {data.get('id')} not found") from error
            raise


class SpeakerSerializer(EventChildSerializer):
    event = VisibleEventField()
    sessions = OwnSessionsField(queryset=Session.objects.all(), many=True, required=False)
    user = ResourceRelatedField(read_only=True)

    class Meta:
        model = Speaker
        resource_name = "speaker"
        fields = [
            "name",
            "email",
            "short_biography",
            "long_biography",
            "photo_url",
            "website",
            "twitter",
            "github",
            "linkedin",
            "organisation",
            "country",
            "created_at",
            "event",
            "sessions",
            "user",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not permissions.can_see_speaker_email(
            self.actor, instance, self.context["administered_event_ids"]
        ):
            data.pop("email")
        return data

    def create(self, validated_data):
        sessions = validated_data.pop("sessions", [])
        return services.create_speaker(self.actor, Speaker(**validated_data), sessions)

    def update(self, instance, validated_data):
        return services.update_speaker(self.actor, instance, **validated_data)


class SponsorSerializer(EventChildSerializer):
    event = VisibleEventField()

    class Meta:
        model = Sponsor
        resource_name = "sponsor"
        fields = ["name", "url", "level", "sponsor_type", "description", "logo_url", "event"]

    def create(self, validated_data):
        return services.save_sponsor(self.actor, Sponsor(**validated_data))

    def update(self, instance, validated_data):
        return services.save_sponsor(self.actor, instance, **validated_data)


class TrackSerializer(EventChildSerializer):
    event = VisibleEventField()
    organizers = TrackOrganizerField(many=True, required=False)

    class Meta:
        model = Track
        resource_name = "track"
        fields = ["name", "description", "color", "event", "organizers"]

    def create(self, validated_data):
        organizers = validated_data.pop("organizers", None)
        return services.save_track(self.actor, Track(**validated_data), organizers)

    def update(self, instance, validated_data):
        return services.save_track(self.actor, instance, **validated_data)
