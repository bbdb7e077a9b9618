from django.urls import path

from openevent.resources import registry

from .views import (
    MicrolocationViewSet,
    SessionStatesView,
    SessionTypeViewSet,
    SessionViewSet,
    SpeakerViewSet,
    SponsorViewSet,
    TrackViewSet,
)

registry.register("sessions", SessionViewSet)
registry.register("speakers", SpeakerViewSet)
registry.register("sponsors", SponsorViewSet)
registry.register("tracks", TrackViewSet)
registry.register("microlocations", MicrolocationViewSet)
registry.register("session-types", SessionTypeViewSet)

urlpatterns = [
    path("sessions/states", SessionStatesView.as_view(), name="session-states"),
]
