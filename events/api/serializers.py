from django.conf import settings as django_settings
from rest_framework import serializers as drf_serializers
from rest_framework_json_api.relations import HyperlinkedRelatedField

from accounts.models import User
from events import permissions, services
from events.models import Event, EventTopic, Role, RoleInvite, Settings, UsersEventsRoles
from openevent.resources import Relationship, ResourceSerializer


class VisibleEventField(Relationship):
    """A relationship to an event: events the caller may not see do not exist for them (404).
    The event is read by its id and events.permissions asked whether the caller sees it, which
    takes no query for a published one (the visibility filter is a list's)."""

    def get_queryset(self):
        return Event.objects.all()

    def to_internal_value(self, data):
        event = super().to_internal_value(data)
        if not permissions.can_view_event(self.context["request"].user, event):
            raise self.not_found(event.pk)
        return event


class EventChildSerializer(ResourceSerializer):
    """An object of one event: the event is set when it is made and never moves."""

    create_only_fields = ("event",)

    @property
    def actor(self) -> User:
        return self.context["request"].user


class EventTopicSerializer(ResourceSerializer):
    """A topic; created without a `slug`, it gets one derived from its name."""

    class Meta:
        model = EventTopic
        resource_name = "event-topic"
        fields = ["name", "slug"]
        extra_kwargs = {"slug": {"required": False}}

    def create(self, validated_data):
        return services.create_topic(
            self.context["request"].user, validated_data["name"], slug=validated_data.get("slug")
        )


def linked_only():
    """A to-many relationship rendered as links, and as linkage only when it is included."""
    return HyperlinkedRelatedField(many=True, read_only=True)


class EventSerializer(ResourceSerializer):
    event_topic = Relationship(queryset=EventTopic.objects.all(), required=False, allow_null=True)
    sessions = linked_only()
    speakers = linked_only()
    sponsors = linked_only()
    tracks = linked_only()
    microlocations = linked_only()
    session_types = linked_only()
    tickets = linked_only()
    discount_codes = linked_only()
    attendees = linked_only()
    orders = linked_only()
    custom_forms = linked_only()

    included_serializers = {
        "event_topic": EventTopicSerializer,
        "sessions": "speakers.api.serializers.SessionSerializer",
        "speakers": "speakers.api.serializers.SpeakerSerializer",
        "sponsors": "speakers.api.serializers.SponsorSerializer",
        "tracks": "speakers.api.serializers.TrackSerializer",
        "microlocations": "speakers.api.serializers.MicrolocationSerializer",
        "session_types": "speakers.api.serializers.SessionTypeSerializer",
        "tickets": "orders.api.serializers.TicketSerializer",
        "discount_codes": "orders.api.serializers.DiscountCodeSerializer",
        "attendees": "orders.api.serializers.AttendeeSerializer",
        "orders": "orders.api.serializers.OrderSerializer",
        "custom_forms": "forms_builder.api.serializers.CustomFormSerializer",
    }
    seen_with_parent = {
        "sponsors",
        "tracks",
        "microlocations",
        "session_types",
    }  # who sees an event sees these (visible_sponsors, ...)

    class Meta:
        model = Event
        resource_name = "event"
        fields = [
            "name",
            "description",
            "starts_at",
            "ends_at",
            "timezone",
            "state",
            "payment_currency",
            "location_name",
            "can_pay_by_stripe",
            "can_pay_by_paypal",
            "can_pay_onsite",
            "event_topic",
            "created_at",
            "sessions",
            "speakers",
            "sponsors",
            "tracks",
            "microlocations",
            "session_types",
            "tickets",
            "discount_codes",
            "attendees",
            "orders",
            "custom_forms",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        starts_at = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends_at = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts_at and ends_at and ends_at <= starts_at:
            raise drf_serializers.ValidationError({"ends_at": "The event must end after it starts."})
        return attrs

    def create(self, validated_data):
        return services.create_event(self.context["request"].user, Event(**validated_data))

    def update(self, instance, validated_data):
        return services.update_event(self.context["request"].user, instance, **validated_data)


class RoleInviteSerializer(ResourceSerializer):
    """A role invite; its token is never serialized. `status` is the invitee's to change."""

    role_name = drf_serializers.ChoiceField(choices=Role.NAMES, source="role.name")
    event = VisibleEventField()

    included_serializers = {"event": EventSerializer}

    class Meta:
        model = RoleInvite
        resource_name = "role-invite"
        fields = ["email", "role_name", "status", "created_at", "expires_at", "event"]
        read_only_fields = ["status", "created_at", "expires_at"]

    create_only_fields = ("event",)  # an invite stays with its event

    def create(self, validated_data):
        return services.create_invite(
            self.context["request"].user,
            validated_data["event"],
            email=validated_data["email"],
            role_name=validated_data["role"]["name"],
        )

    def update(self, instance, validated_data):
        return services.update_invite(
            self.context["request"].user,
            instance,
            email=validated_data.get("email"),
            role_name=validated_data.get("role", {}).get("name"),
        )


class RoleInviteChangeSerializer(RoleInviteSerializer):
    """What a PATCH of a role invite takes, as the schema says: the invitee's answer alone, or an
    event admin's corrections (RoleInviteViewSet.partial_update routes each)."""

    status = drf_serializers.ChoiceField(
        choices=[RoleInvite.Status.ACCEPTED, RoleInvite.Status.DECLINED],
        required=False,
        help_text="The invitee's answer, sent alone: with any other attribute it is a 422. Event admins "
        "change email and role-name instead.",
    )

    class Meta(RoleInviteSerializer.Meta):
        read_only_fields = ["created_at", "expires_at"]


class RoleInviteAnswerSerializer(ResourceSerializer):
    """What the invitee sends: the answer, nothing else."""

    status = drf_serializers.ChoiceField(choices=[RoleInvite.Status.ACCEPTED, RoleInvite.Status.DECLINED])

    class Meta:
        model = RoleInvite
        resource_name = "role-invite"
        fields = ["status"]


class UsersEventsRolesSerializer(ResourceSerializer):
    role_name = drf_serializers.CharField(source="role.name", read_only=True)
    user_email = drf_serializers.EmailField(source="user.email", read_only=True)
    user_name = drf_serializers.CharField(source="user.name", read_only=True)
    user = Relationship(read_only=True)
    event = Relationship(read_only=True)

    included_serializers = {"user": "accounts.api.serializers.UserUpdateSerializer", "event": EventSerializer}

    class Meta:
        model = UsersEventsRoles
        resource_name = "users-events-roles"
        fields = ["role_name", "user_email", "user_name", "created_at", "user", "event"]


class SettingsSerializer(ResourceSerializer):
    stripe_publishable_key = drf_serializers.SerializerMethodField(
        help_text="The key a page loads Stripe.js with (STRIPE_PUBLISHABLE_KEY); empty without Stripe."
    )

    class Meta:
        model = Settings
        resource_name = "setting"
        fields = [*Settings.PUBLIC_FIELDS, "stripe_publishable_key", "admin_contact_email", "admin_notes"]

    def get_stripe_publishable_key(self, settings_row) -> str:
        return django_settings.STRIPE_PUBLISHABLE_KEY

    def update(self, instance, validated_data):
        return services.update_settings(self.context["request"].user, **validated_data)


class PublicSettingsSerializer(SettingsSerializer):
    class Meta(SettingsSerializer.Meta):
        fields = [*Settings.PUBLIC_FIELDS, "stripe_publishable_key"]


class InviteTokenSerializer(drf_serializers.Serializer):
    token = drf_serializers.CharField(max_length=256)
