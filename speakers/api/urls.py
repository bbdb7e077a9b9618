from django.urls import path

from openevent.resources import registry

from .views import SessionStatesView, SessionViewSet, SpeakerViewSet, SponsorViewSet, TrackViewSet

registry.register("sessions", SessionViewSet)
registry.register("speakers", SpeakerViewSet)
registry.register("sponsors", SponsorViewSet)
registry.register("tracks", TrackViewSet)

urlpatterns = [
    path("sessions/states", SessionStatesView.as_view(), name="session-states"),
]
