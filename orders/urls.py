from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("events/<int:pk>/checkout/", views.checkout, name="checkout"),
    path("my-orders/", views.my_orders, name="mine"),
    path("orders/<uuid:identifier>/", views.order_detail, name="detail"),
    path("orders/<uuid:identifier>/cancel/", views.cancel, name="cancel"),
    path("orders/<uuid:identifier>/pay/", views.pay, name="pay"),
    path("orders/<uuid:identifier>/payments/<int:pk>/return/", views.payment_return, name="payment-return"),
    path("orders/<uuid:identifier>/payments/<int:pk>/cancel/", views.payment_cancel, name="payment-cancel"),
]
