from django.urls import path

from openevent.resources import registry

from .views import (
    AttendeeViewSet,
    CalculateAmountView,
    DiscountCodeLookupView,
    DiscountCodeViewSet,
    MyOrdersViewSet,
    OrderViewSet,
    PayView,
    StripeWebhookView,
    TicketViewSet,
)

registry.register("tickets", TicketViewSet)
registry.register("discount-codes", DiscountCodeViewSet)
registry.register("attendees", AttendeeViewSet)
registry.register("orders", OrderViewSet)

urlpatterns = [
    path("orders/calculate-amount", CalculateAmountView.as_view(), name="calculate-amount"),
    path("orders/<uuid:identifier>/pay", PayView.as_view(), name="order-pay"),
    path("webhooks/stripe", StripeWebhookView.as_view(), name="stripe-webhook"),
    path("users/me/orders", MyOrdersViewSet.as_view({"get": "list"}), name="my-orders"),
    path(
        "events/<int:pk>/discount-codes/<str:code>",
        DiscountCodeLookupView.as_view(),
        name="discount-code-lookup",
    ),
]
