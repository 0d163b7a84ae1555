from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

_reset_email = {
    "email_template_name": "emails/password_reset.txt",
    "html_email_template_name": "emails/password_reset.html",
    "subject_template_name": "emails/password_reset_subject.txt",
    "extra_email_context": {"site_url": settings.SITE_URL},
}

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/", views.verify, name="verify"),
    path("accounts/verify/resend/", views.verify_resend, name="verify_resend"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/settings/", views.settings_profile, name="settings"),
    path("accounts/settings/password/", views.settings_password, name="settings_password"),
    path("accounts/settings/api-keys/", views.api_keys, name="api_keys"),
    path("accounts/settings/api-keys/<str:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            success_url=reverse_lazy("accounts:password_reset_done"),
            **_reset_email,
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
