"""Unguessable single-use tokens for emailed links. Only their SHA-256 is ever stored: a random
256-bit token needs no slow hash, and a leaked database holds nothing that opens a link."""

import hashlib
import secrets


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token for the email, and the hash to store."""
    raw_token = secrets.token_urlsafe(32)
    return raw_token, hash_token(raw_token)
