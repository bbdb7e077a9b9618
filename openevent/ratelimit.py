"""Fixed-window rate limits kept in Django's cache (Redis in production, shared by every worker)."""

import hashlib
import ipaddress
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    """Too many requests of one kind; `retry_after` is the number of seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def _window(scope: str, identity: str, window: int) -> tuple[str, int]:
    """The cache key of the current window for this identity, and the seconds left in it."""
    now = time.time()
    start = int(now // window) * window
    folded = unicodedata.normalize("NFKC", identity.strip()).casefold()  # look-alike spellings count as one
    digest = hashlib.sha256(folded.encode()).hexdigest()
    return f"ratelimit:{scope}:{digest}:{start}", max(1, int(start + window - now))


def record(scope: str, identity: str, window: int) -> int:
    """Count one request of `identity` (an address, an IP) in `scope`; the count so far."""
    key, _ = _window(scope, identity, window)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window's key expired between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1


def check(scope: str, identity: str, limit: int, window: int) -> None:
    """Raise RateLimited if `identity` has used up its `limit` in this window already."""
    key, retry_after = _window(scope, identity, window)
    if cache.get(key, 0) >= limit:
        raise RateLimited(retry_after)


def hit(scope: str, identity: str, limit: int, window: int) -> None:
    """Count one request and raise RateLimited if it is past the `limit`."""
    if record(scope, identity, window) > limit:
        raise RateLimited(_window(scope, identity, window)[1])


def client_ip(request) -> str:
    """The address rate limits count a client by.

    REMOTE_ADDR, or behind TRUSTED_PROXIES proxies that each append to X-Forwarded-For, the
    entry the outermost trusted proxy saw. IPv6 clients count by their /64, which one host
    can fill with addresses at will.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUSTED_PROXIES:
        forwarded = [item.strip() for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.TRUSTED_PROXIES:
            address = forwarded[-settings.TRUSTED_PROXIES]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
