"""Websocket routes; each app that streams to the browser adds its consumers here."""

from django.urls import path

from remotelab.consumers import LabConsumer

websocket_urlpatterns = [path("ws/remotelab/", LabConsumer.as_asgi())]
