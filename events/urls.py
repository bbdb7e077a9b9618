from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("events/new/", views.event_create, name="create"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("my-events/", views.my_events, name="mine"),
    path("invites/answer/", views.invite, name="invite"),
    path("invites/<str:token>/", views.invite_link, name="invite-link"),
]
