"""factory_boy factories of the orders app, for tests and the demo data: rows made directly, not
through the services (an order's attendees are given as `attendees=[...]`)."""

from decimal import Decimal

import factory

from accounts.factories import UserFactory
from events.factories import EventFactory

from .models import Attendee, DiscountCode, Order, Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    """A free ticket, 100 of them, on sale now; `paid=True` makes it cost 10.00."""

    class Meta:
        model = Ticket

    class Params:
        paid = factory.Trait(ticket_type=Ticket.Type.PAID, price=Decimal("10.00"))

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Ticket {n}")
    quantity = 100


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    """A 10% code of the first ticket's event; `tickets=[...]` are those it applies to."""

    class Meta:
        model = DiscountCode
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    code = factory.Sequence(lambda n: f"CODE{n}")
    discount_type = DiscountCode.Type.PERCENT
    value = Decimal("10")

    @factory.post_generation
    def tickets(self, create, extracted, **kwargs):
        if create and extracted:
            self.tickets.add(*extracted)


class AttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendee

    ticket = factory.SubFactory(TicketFactory)
    event = factory.LazyAttribute(lambda attendee: attendee.ticket.event)
    creator = factory.SubFactory(UserFactory)
    firstname = factory.Sequence(lambda n: f"Attendee{n}")
    lastname = "Example"
    email = factory.LazyAttribute(lambda attendee: f"{attendee.firstname.lower()}@example.com")


class OrderFactory(factory.django.DjangoModelFactory):
    """An order with `attendees=[...]`, each charged its ticket's price."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    buyer = factory.SubFactory(UserFactory)

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        for attendee in extracted or []:
            attendee.order, attendee.price = self, attendee.ticket.price
            attendee.save(update_fields=["order", "price"])
