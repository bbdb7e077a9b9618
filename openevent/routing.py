"""Websocket routes; each app that streams to the browser adds its consumers here."""

websocket_urlpatterns = []
