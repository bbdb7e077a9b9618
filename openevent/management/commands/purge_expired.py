from django.core.management.base import BaseCommand

from accounts.services import purge_reset_tokens
from events.services import purge_expired_invites


class Command(BaseCommand):
    help = "Delete used or expired password reset tokens and expired role invites. Run it daily."

    def handle(self, *args, **options):
        self.stdout.write(f"Reset tokens deleted: {purge_reset_tokens()}")
        self.stdout.write(f"Expired invites deleted: {purge_expired_invites()}")
