"""`Idempotency-Key` on POST /v1/orders: a retry with the same key and user gets the first answer
again, and nothing is written twice. The key is claimed (a row, unique per user) before the
request runs and holds its answer once made; a claimed key whose answer is not made yet is a
request still in flight (409), and a key sent again with another body is a mistake (422)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.timezone import now
from rest_framework import exceptions

from openevent.errors import Conflict

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


class BadKey(exceptions.ValidationError):
    """A 422 about the header, named in `source.header`."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.source = {"header": HEADER}


@dataclass(frozen=True)
class Claim:
    row: IdempotencyKey | None  # None: the answer is a replay, stored already
    replay: HttpResponse | None = None


def fingerprint(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def claim(user, key: str, body) -> Claim:
    """Claim `key` for this request, or the stored answer to replay. Keys older than
    ORDER_IDEMPOTENCY_HOURS are forgotten."""
    if not key or len(key) > MAX_LENGTH or not key.isprintable():
        raise BadKey(f"An {HEADER} is 1 to {MAX_LENGTH} printable characters.")
    digest = fingerprint(body)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lte=_forgotten_before()).delete()
    try:
        with transaction.atomic():
            return Claim(IdempotencyKey.objects.create(user=user, key=key, fingerprint=digest))
    except IntegrityError:
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None:  # forgotten meanwhile: claim it afresh
        return claim(user, key, body)
    if stored.fingerprint != digest:
        raise BadKey(f"This {HEADER} was used with another request body.")
    if stored.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still in flight: retry in a moment.")
    response = HttpResponse(
        stored.response["content"], status=stored.status_code, content_type=stored.response["content_type"]
    )
    response["Idempotent-Replayed"] = "true"
    return Claim(None, response)


def store(row: IdempotencyKey, response) -> None:
    """Keep the answer for retries. A conflict (409: sold out, too many unpaid orders, a change
    meanwhile) is a state that may pass, and a 5xx the server's own failure: those are not kept,
    and the key may be tried again."""
    if response.status_code >= 500 or response.status_code == 409:
        release(row)
        return
    row.status_code = response.status_code
    row.response = {"content": response.content.decode(), "content_type": response["Content-Type"]}
    row.save(update_fields=["status_code", "response"])


def release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def _forgotten_before():
    return now() - timedelta(hours=settings.ORDER_IDEMPOTENCY_HOURS)


def purge() -> int:
    """Delete the keys past their keeping time (manage.py purge_expired)."""
    return IdempotencyKey.objects.filter(created_at__lte=_forgotten_before()).delete()[0]
