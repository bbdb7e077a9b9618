from django.urls import path

from . import views

app_name = "remotelab"

urlpatterns = [
    path("lab/", views.lab, name="lab"),
    path("lab/scripts/new/", views.edit_script, name="new"),
    path("lab/scripts/<int:pk>/edit/", views.edit_script, name="edit"),
    path("lab/scripts/<int:pk>/delete/", views.delete_script, name="delete"),
    path("lab/examples/<slug:name>/copy/", views.copy_example, name="copy-example"),
]
