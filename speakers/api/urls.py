from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import SessionStatesView, SessionViewSet, SpeakerViewSet, SponsorViewSet, TrackViewSet

VIEWSETS = {
    "sessions": SessionViewSet,
    "speakers": SpeakerViewSet,
    "sponsors": SponsorViewSet,
    "tracks": TrackViewSet,
}

router = SimpleRouter(trailing_slash=False)
for prefix, viewset in VIEWSETS.items():
    router.register(prefix, viewset, basename=prefix.removesuffix("s"))

urlpatterns = [
    path("sessions/states", SessionStatesView.as_view(), name="session-states"),
    *(
        path(f"events/<int:event_pk>/{prefix}", viewset.as_view({"get": "list"}), name=f"event-{prefix}")
        for prefix, viewset in VIEWSETS.items()
    ),
    *router.urls,
]
