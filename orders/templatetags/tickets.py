from django import template

from orders.forms import TicketSelectionForm
from orders.views import tickets_on_offer

register = template.Library()


@register.inclusion_tag("orders/includes/tickets.html", takes_context=True)
def event_tickets(context, event):
    """The event page's ticket section: each ticket the visitor may order, its price in the
    event's currency, whether it is on sale or sold out, and a form to choose how many."""
    request = context["request"]
    tickets = tickets_on_offer(request.user, event)
    selection = TicketSelectionForm(tickets=[ticket for ticket in tickets if ticket.is_on_sale()])
    return {"event": event, "selection": selection, "rows": selection.rows(tickets), "request": request}
