"""Websockets only from the site's own pages: the Origin rule Django's CSRF protection applies."""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain


def _header(scope: dict, name: bytes) -> str | None:
    """The header's value if the request sent it exactly once."""
    values = [value for key, value in scope.get("headers", []) if key == name]
    return values[0].decode("latin1") if len(values) == 1 else None


def _scheme(scope: dict) -> str:
    """The page's scheme: https behind SECURE_PROXY_SSL_HEADER or over wss, as Django's is_secure()."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = _header(scope, meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def origin_allowed(scope: dict) -> bool:
    """Whether the request's Origin (scheme, host and port) is the site's own, the origin its Host
    header (one of ALLOWED_HOSTS) and scheme make, or one of CSRF_TRUSTED_ORIGINS."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if origin is None:
        return False
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain = split_domain_port(host)[0] if host else ""
    if domain and validate_host(domain, allowed_hosts) and origin == f"{_scheme(scope)}://{host}":
        return True
    if origin in (trusted for trusted in settings.CSRF_TRUSTED_ORIGINS if "*" not in trusted):
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        parsed.scheme == pattern.scheme and is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in (urlsplit(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS if "*" in trusted)
    )


_deny = WebsocketDenier.as_asgi()


class SameOriginValidator:
    """ASGI middleware: a websocket whose origin_allowed() goes on to `application`; others are closed."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator checks websockets only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await _deny(scope, receive, send)
