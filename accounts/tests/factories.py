import itertools

from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def make_user(email: str | None = None, password: str = DEFAULT_PASSWORD, **fields) -> User:
    email = email or f"user{next(_numbers)}@example.com"
    return User.objects.create_user(email=email, password=password, **fields)
