from django.urls import path

from warranties import views

app_name = "warranties"

urlpatterns = [
    path("", views.warranty_list, name="list"),
    path("request/<str:validation_id>/", views.warranty_request, name="request"),
    path("request/<str:validation_id>/confirm/", views.warranty_request_confirm, name="request_confirm"),
    path("<str:warranty_id>/", views.warranty_detail, name="detail"),
]
