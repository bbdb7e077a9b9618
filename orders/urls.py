from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("events/<int:pk>/checkout/", views.checkout, name="checkout"),
    path("my-orders/", views.my_orders, name="mine"),
    path("orders/<uuid:identifier>/", views.order_detail, name="detail"),
    path("orders/<uuid:identifier>/cancel/", views.cancel, name="cancel"),
]
