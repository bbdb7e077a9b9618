import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
_held: ContextVar[list | None] = ContextVar("held_mail", default=None)


def _send(template: str, context: dict, to: str, subject: str, deliver: bool) -> None:
    try:
        message = EmailMultiAlternatives(
            subject=subject, body=render_to_string(f"{template}.txt", context), to=[to]
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        if deliver:
            message.send()
        else:
            message.message()  # composed as a sent one is, then dropped
    except Exception:
        logger.exception("Could not send %s to %s", template, to)


def send_templated_mail(template: str, context: dict, to: str, subject: str, deliver: bool = True) -> None:
    """Send `<template>.txt` with `<template>.html` as its HTML part through Django's email API.

    With EMAIL_SEND_IN_BACKGROUND the mail is rendered and sent from a background thread,
    so the answer neither waits for the mail server nor, by its timing, tells that a mail
    went out. `deliver=False` does all of that but the sending, for an answer that must cost
    what a mailing one does. A failure is logged: the action that sends the mail has happened.
    """
    subject = " ".join(subject.split())  # a newline in a title must not break the header
    held = _held.get()
    if held is not None:
        held.append((template, context, to, subject, deliver))
    elif settings.EMAIL_SEND_IN_BACKGROUND:
        _background.submit(_send, template, context, to, subject, deliver)
    else:
        _send(template, context, to, subject, deliver)


@contextmanager
def held_mail():
    """Mail sent within is held, and sent once the block is done: none if it raises, as a
    transaction that spans several services (an admin's save) is then rolled back."""
    held = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    for mail in held:  # reached only when the block raised nothing
        send_templated_mail(*mail)
