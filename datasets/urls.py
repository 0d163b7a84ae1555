from django.urls import path

from datasets import views

app_name = "datasets"

urlpatterns = [
    path("", views.dataset_list, name="list"),
    path("new/", views.dataset_upload, name="upload"),
    path("new/start/", views.upload_start, name="upload_start"),
    # Local storage: the signed token is the credential (no session, no CSRF).
    path("upload/<str:token>", views.upload_put, name="upload_put"),
    path("file/<str:token>", views.download_file, name="download_file"),
    path("<str:dataset_id>/", views.dataset_detail, name="detail"),
    path("<str:dataset_id>/complete/", views.upload_complete, name="upload_complete"),
    path("<str:dataset_id>/download/", views.dataset_download, name="download"),
    path("<str:dataset_id>/delete/", views.dataset_delete, name="delete"),
]
