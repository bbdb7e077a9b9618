from django import forms

from .models import Attendee, Order, Ticket


class TicketSelectionForm(forms.Form):
    """How many of each ticket on sale, `ticket-<id>` each (the event page's ticket section)."""

    def __init__(self, *args, tickets: list[Ticket], **kwargs):
        super().__init__(*args, **kwargs)
        self.tickets = {f"ticket-{ticket.pk}": ticket for ticket in tickets}
        for name, ticket in self.tickets.items():
            left = max(ticket.quantity - ticket.held, 0)
            self.fields[name] = forms.IntegerField(
                label=ticket.name,
                min_value=0,
                max_value=min(ticket.max_order, left),
                initial=0,
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        if any(
            name.startswith("ticket-") and name not in self.tickets and quantity not in ("", "0")
            for name, quantity in self.data.items()
        ):  # chosen on a page shown before the ticket was deleted, hidden or ended its sale
            raise forms.ValidationError(
                "A ticket you chose is not on sale any more: choose your tickets again."
            )
        chosen = {name: quantity for name, quantity in cleaned.items() if quantity}
        for name, quantity in chosen.items():
            ticket = self.tickets[name]
            if quantity < ticket.min_order:
                self.add_error(name, f"Order at least {ticket.min_order} of these.")
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose at least one ticket.")
        return cleaned

    def rows(self, tickets: list[Ticket]) -> list[tuple]:
        """(ticket, its quantity field, or None where it is not on sale) for each of `tickets`."""
        return [
            (ticket, self[f"ticket-{ticket.pk}"] if f"ticket-{ticket.pk}" in self.fields else None)
            for ticket in tickets
        ]

    def quantities(self) -> dict[Ticket, int]:
        return {self.tickets[name]: quantity for name, quantity in self.cleaned_data.items() if quantity}


class AttendeeForm(forms.ModelForm):
    class Meta:
        model = Attendee
        fields = ["firstname", "lastname", "email"]
        labels = {"firstname": "First name", "lastname": "Last name"}


class PaymentForm(forms.Form):
    discount_code = forms.CharField(label="Discount code", max_length=100, required=False)
    payment_mode = forms.ChoiceField(label="How you pay", widget=forms.RadioSelect, required=False)

    def __init__(self, *args, modes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            Order.PaymentMode.STRIPE: "By card, with Stripe",
            Order.PaymentMode.PAYPAL: "With PayPal",
            Order.PaymentMode.ONSITE: "At the venue",
        }
        self.fields["payment_mode"].choices = [(mode, labels[mode]) for mode in modes]
        if len(modes) == 1:
            self.fields["payment_mode"].initial = modes[0]
