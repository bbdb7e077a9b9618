from django.urls import path

from . import views
from .models import Session

app_name = "speakers"

urlpatterns = [
    path("events/<int:pk>/call-for-speakers/", views.submit, name="submit"),
    path("my-submissions/", views.my_submissions, name="mine"),
    path("sessions/<int:pk>/withdraw/", views.move, {"state": Session.State.WITHDRAWN}, name="withdraw"),
    path("sessions/<int:pk>/submit/", views.move, {"state": Session.State.PENDING}, name="send-for-review"),
]
