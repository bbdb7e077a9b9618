"""Demo tickets for `make run`: free, paid, sold out and hidden tickets of the summit, two
discount codes (one expired), and the demo attendee's orders (one paid, one to pay at the venue)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, demo_user
from events.models import Event, Role, UsersEventsRoles

from . import services
from .factories import AttendeeFactory, DiscountCodeFactory, TicketFactory
from .models import Order, Ticket

ATTENDEE = {"email": "attendee@openevent.test", "first_name": "Alex", "last_name": "Attendee"}
PAID = Ticket.Type.PAID


def load(stdout) -> None:
    event = Event.objects.filter(name="Open Science Summit").first()
    if event is None or event.tickets.exists():
        return  # the events demo is missing, or the tickets are loaded already
    organizer = UsersEventsRoles.objects.get(event=event, role__name=Role.OWNER).user
    sales_end = event.starts_at - timedelta(days=1)
    community = TicketFactory(
        event=event,
        name="Community",
        quantity=200,
        max_order=4,
        sales_ends_at=sales_end,
        description="Talks and the exhibition, all three days.",
    )
    standard = TicketFactory(
        event=event,
        name="Standard",
        ticket_type=PAID,
        price=Decimal("45.00"),
        quantity=150,
        max_order=5,
        sales_ends_at=sales_end,
        description="Everything, lunch included.",
    )
    workshop = TicketFactory(
        event=event,
        name="Hardware workshop",
        ticket_type=PAID,
        price=Decimal("20.00"),
        quantity=2,
        max_order=2,
        sales_ends_at=sales_end,
        description="Solder your own Pocket Science Lab (seats are few).",
    )
    TicketFactory(event=event, name="Speaker and crew", quantity=40, is_hidden=True)
    DiscountCodeFactory(
        event=event, code="STUDENT", value=Decimal("25"), tickets_number=50, tickets=[standard, workshop]
    )
    DiscountCodeFactory(
        event=event,
        code="EARLYBIRD",
        discount_type="amount",
        value=Decimal("10.00"),
        valid_from=timezone.now() - timedelta(days=30),
        valid_till=timezone.now() - timedelta(days=1),
        tickets=[standard],
    )
    buyer = demo_user(ATTENDEE)

    def attendees(ticket, *names):
        return [
            AttendeeFactory(
                ticket=ticket,
                creator=buyer,
                firstname=first,
                lastname=last,
                email=f"{first.lower()}@openevent.test",
            )
            for first, last in names
        ]

    services.create_order(buyer, event, attendees(community, ("Alex", "Attendee")))
    services.create_order(
        buyer, event, attendees(workshop, ("Alex", "Attendee"), ("Kim", "Friend")), Order.PaymentMode.ONSITE
    )
    services.create_order(buyer, event, attendees(standard, ("Kim", "Friend")), Order.PaymentMode.ONSITE)
    stdout.write(
        f"Demo tickets for {event.name}: the workshop is sold out; codes STUDENT and EARLYBIRD (expired)"
    )
    stdout.write(f"  {buyer.email} (password {DEMO_PASSWORD}) has orders; {organizer.email} marks them paid")
