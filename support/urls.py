from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="tickets"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:ticket_id>/close/", views.ticket_close, name="ticket_close"),
]
