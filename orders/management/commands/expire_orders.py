from django.core.management.base import BaseCommand

from orders.services import expire_orders


class Command(BaseCommand):
    help = "Mark the pending orders past their expiry expired (run it every minute or so, from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"{expire_orders()} orders expired")
