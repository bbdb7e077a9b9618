"""Fixed-window rate limits kept in Django's cache (Redis in production, shared by every worker)."""

import hashlib
import time

from django.core.cache import cache


class RateLimited(Exception):
    """Too many requests of one kind; `retry_after` is the number of seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def hit(scope: str, identity: str, limit: int, window: int) -> None:
    """Count one request of `identity` (an address, an IP) in `scope`; raise RateLimited past `limit`."""
    now = time.time()
    window_start = int(now // window) * window
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()
    key = f"ratelimit:{scope}:{digest}:{window_start}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add() and incr()
        cache.set(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, int(window_start + window - now)))
