"""Rate limits kept in Django's cache (Redis in production, shared by every worker): requests
counted in fixed windows, and budgets (of seconds of a device's time, say) spent in sliding ones."""

import contextlib
import hashlib
import ipaddress
import math
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache

BUDGET_SLICES = 10  # a budget's sliding window is counted in this many slices


class RateLimited(Exception):
    """Too many requests of one kind; `retry_after` is the number of seconds to wait."""

    def __init__(self, retry_after: int, reason: str = "Too many requests."):
        super().__init__(f"{reason} Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def _digest(identity: str) -> str:
    folded = unicodedata.normalize("NFKC", identity.strip()).casefold()  # look-alike spellings count as one
    return hashlib.sha256(folded.encode()).hexdigest()


def _window(scope: str, identity: str, window: int) -> tuple[str, int]:
    """The cache key of the current window for this identity, and the seconds left in it."""
    now = time.time()
    start = int(now // window) * window
    return f"ratelimit:{scope}:{_digest(identity)}:{start}", max(1, int(start + window - now))


def _add(key: str, amount: int, timeout: int) -> int:
    """Add `amount` to the count at `key` (kept `timeout` seconds from its first use); the new count."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, amount)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, amount, timeout=timeout)
        return amount


def record(scope: str, identity: str, window: int) -> int:
    """Count one request of `identity` (an address, an IP) in `scope`; the count so far."""
    return _add(_window(scope, identity, window)[0], 1, window)


def check(scope: str, identity: str, limit: int, window: int) -> None:
    """Raise RateLimited if `identity` has used up its `limit` in this window already."""
    key, retry_after = _window(scope, identity, window)
    if cache.get(key, 0) >= limit:
        raise RateLimited(retry_after)


def reserve(scope: str, identity: str, limit: int, window: int) -> str:
    """Count an attempt before it is made, so that concurrent ones cannot all pass a check made
    before any is counted; raise RateLimited (the attempt uncounted) past the `limit`. Returns
    the key to `release` an attempt that turns out not to count."""
    key, retry_after = _window(scope, identity, window)
    if _add(key, 1, window) > limit:
        release(key)
        raise RateLimited(retry_after)
    return key


def release(key: str) -> None:
    """Uncount an attempt `reserve` counted (in its own window, even if a new one has begun)."""
    with contextlib.suppress(ValueError):  # its window has expired
        cache.decr(key)


def hit(scope: str, identity: str, limit: int, window: int) -> None:
    """Count one request and raise RateLimited if it is past the `limit`."""
    if record(scope, identity, window) > limit:
        raise RateLimited(_window(scope, identity, window)[1])


def _slices(scope: str, identity: str, window: int) -> list[tuple[str, float]]:
    """The cache keys of the slices of the sliding window that ends now, oldest first, each with
    the time it leaves the window."""
    width = window / BUDGET_SLICES
    current = int(time.time() // width)
    prefix = f"ratelimit:{scope}:{_digest(identity)}:{window}"
    return [
        (f"{prefix}:{index}", (index + BUDGET_SLICES) * width)
        for index in range(current + 1 - BUDGET_SLICES, current + 1)
    ]


def spend(scope: str, identity: str, amount: float, window: int) -> None:
    """Count `amount` (in seconds, to the millisecond) as spent by `identity` in `scope` now."""
    _add(_slices(scope, identity, window)[-1][0], math.ceil(amount * 1000), window)


def budget_wait(scope: str, identity: str, budget: float, window: int) -> int:
    """Seconds until what `identity` spent in the last `window` seconds is under `budget`; 0 if it is now."""
    slices = _slices(scope, identity, window)
    spent = cache.get_many([key for key, _ in slices])
    over = sum(spent.values()) - budget * 1000
    if over < 0:
        return 0
    now = time.time()
    for key, leaves in slices:
        over -= spent.get(key, 0)
        if over < 0:
            return max(1, math.ceil(leaves - now))
    return window  # a budget of nothing


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
