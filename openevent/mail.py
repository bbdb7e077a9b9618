import logging

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send_templated_mail(template: str, context: dict, to: str, subject: str) -> None:
    """Send `<template>.txt` with `<template>.html` as its HTML part through Django's email API.

    A failure is logged, not raised: the action that sends the mail has already happened, and
    its answer must not depend on the mail server (nor tell which addresses have accounts).
    """
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("Could not send %s to %s", template, to)
