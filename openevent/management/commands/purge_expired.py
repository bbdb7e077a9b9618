from django.core.management.base import BaseCommand

from accounts.services import purge_reset_tokens
from events.services import purge_expired_invites
from orders.idempotency import purge as purge_idempotency_keys


class Command(BaseCommand):
    help = (
        "Delete used or expired password reset tokens, expired role invites and idempotency keys past "
        "their keeping time. Run it daily."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Reset tokens deleted: {purge_reset_tokens()}")
        self.stdout.write(f"Expired invites deleted: {purge_expired_invites()}")
        self.stdout.write(f"Idempotency keys deleted: {purge_idempotency_keys()}")
