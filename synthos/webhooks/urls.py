from django.urls import path

from synthos.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<str:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<str:endpoint_id>/test/", views.endpoint_test, name="test"),
    path("<str:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("<str:endpoint_id>/deliveries/<str:delivery_id>/resend/", views.delivery_resend, name="resend"),
]
