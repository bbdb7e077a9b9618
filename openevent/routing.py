"""Websocket routes, and the channels that `manage.py runworker <channel>` serves."""

from django.urls import path

from remotelab.consumers import InstrumentConsumer, LabConsumer
from remotelab.instrument import INSTRUMENT_CHANNEL

websocket_urlpatterns = [path("ws/remotelab/", LabConsumer.as_asgi())]
channel_routes = {INSTRUMENT_CHANNEL: InstrumentConsumer.as_asgi()}
