"""ASGI entry point: Django for HTTP, Channels for websockets (the remote lab streams there)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openevent.settings")
django.setup(set_prefix=False)  # before importing consumers

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402

from openevent.handler import ASGIHandler  # noqa: E402
from openevent.origins import SameOriginValidator  # noqa: E402
from openevent.routing import channel_routes, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIHandler(),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        "channel": ChannelNameRouter(channel_routes),  # for `manage.py runworker`
    }
)
