from django.urls import path

from . import views
from .models import Session

app_name = "speakers"

urlpatterns = [
    path("events/<int:pk>/call-for-speakers/", views.submit, name="submit"),
    path("events/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("events/<int:pk>/schedule.ics", views.schedule_calendar, name="schedule-calendar"),
    path("events/<int:pk>/sessions/<int:session_pk>/", views.session_detail, name="session"),
    path("events/<int:pk>/sessions/<int:session_pk>.ics", views.session_calendar, name="session-calendar"),
    path("events/<int:pk>/speakers/<int:speaker_pk>/", views.speaker_detail, name="speaker"),
    path("my-submissions/", views.my_submissions, name="mine"),
    path("sessions/<int:pk>/edit/", views.edit, name="edit"),
    path("sessions/<int:pk>/withdraw/", views.move, {"state": Session.State.WITHDRAWN}, name="withdraw"),
    path("sessions/<int:pk>/submit/", views.move, {"state": Session.State.PENDING}, name="send-for-review"),
]
