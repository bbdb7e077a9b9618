from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "events"

urlpatterns = [
    # The list is the start page; the address people guess for it leads there.
    path("events/", RedirectView.as_view(pattern_name="home", permanent=True, query_string=True)),
    path("events/new/", views.event_create, name="create"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("my-events/", views.my_events, name="mine"),
    path("invites/answer/", views.invite, name="invite"),
    path("invites/<str:token>/", views.invite_link, name="invite-link"),
]
