from django.urls import path

from validations import views

app_name = "validations"

urlpatterns = [
    path("", views.validation_list, name="list"),
    path("start/<str:dataset_id>/", views.validation_start, name="start"),
    path("<str:validation_id>/", views.validation_detail, name="detail"),
    path("<str:validation_id>/cancel/", views.validation_cancel, name="cancel"),
    path("<str:validation_id>/report.json", views.validation_report_download, name="report_json"),
]
