from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.credits_page, name="credits"),
    path("buy/", views.buy, name="buy"),
    path("success/", views.purchase_success, name="purchase-success"),
    path("cancel/", views.purchase_cancel, name="purchase-cancel"),
]
