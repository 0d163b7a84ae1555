"""Dashboard pages for accounts: sign up, verify, log in and out, overview, settings, API keys."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    ApiKeyCreateForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResendCodeForm,
    SignupForm,
    VerifyForm,
)
from billing import pricing
from billing.selectors import credit_account_get, transaction_list_for_user
from synthos.dashboard import application_error_message, form_add_application_error
from synthos.errors import ApplicationError

# The email a visitor signed up or tried to log in with, so the verify page can fill it in.
VERIFY_EMAIL_SESSION_KEY = "verify_email"
# A just-created API key's full secret, shown on the next page view and then gone.
NEW_API_KEY_SESSION_KEY = "new_api_key"
RECENT_ACTIVITY_COUNT = 10


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:overview")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(**form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(form, error, field="email")
        else:
            request.session[VERIFY_EMAIL_SESSION_KEY] = user.email
            messages.success(request, f"We emailed a 6-digit code to {user.email}.")
            return redirect("accounts:verify")
    return render(request, "accounts/signup.html", {"form": form})


def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, initial={"email": request.session.get(VERIFY_EMAIL_SESSION_KEY, "")})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.email_verify(email=form.cleaned_data["email"], code=form.cleaned_data["code"])
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            request.session.pop(VERIFY_EMAIL_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your email is verified. Welcome to Synthos!")
            return redirect("accounts:overview")
    return render(request, "accounts/verify.html", {"form": form})


@require_POST
def verify_resend(request: HttpRequest) -> HttpResponse:
    form = ResendCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter your email address to get a new code.")
        return redirect("accounts:verify")
    email = form.cleaned_data["email"]
    request.session[VERIFY_EMAIL_SESSION_KEY] = email
    try:
        services.verification_resend(email=email)
    except ApplicationError as error:
        messages.error(request, application_error_message(error))
    else:
        messages.success(request, f"If {email} is waiting for verification, a new code is on its way.")
    return redirect("accounts:verify")


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:overview")
    form = LoginForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            login(request, form.user)
            return redirect(_safe_next(request))
        if form.needs_verification:
            request.session[VERIFY_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("accounts:login")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    recent = transaction_list_for_user(user=request.user).order_by("-created_at")[:RECENT_ACTIVITY_COUNT]
    context = {
        "account": credit_account_get(user=request.user),
        "recent_transactions": recent,
        "validation_costs": pricing.VALIDATION_COSTS,
    }
    return render(request, "accounts/overview.html", context)


# --- Settings --------------------------------------------------------------------------------


def _settings_page(request: HttpRequest, *, profile_form: ProfileForm, password_form: PasswordChangeForm):
    context = {
        "account": credit_account_get(user=request.user),
        "profile_form": profile_form,
        "password_form": password_form,
    }
    return render(request, "accounts/settings.html", context)


@login_required
def settings_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile_form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "company": user.company})
    if request.method == "POST" and profile_form.is_valid():
        try:
            services.user_update(user=user, **profile_form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(profile_form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:settings")
    return _settings_page(request, profile_form=profile_form, password_form=PasswordChangeForm())


@login_required
@require_POST
def settings_password(request: HttpRequest) -> HttpResponse:
    user = request.user
    password_form = PasswordChangeForm(request.POST)
    if password_form.is_valid():
        try:
            services.user_update(
                user=user,
                current_password=password_form.cleaned_data["current_password"],
                new_password=password_form.cleaned_data["new_password"],
            )
        except ApplicationError as error:
            form_add_application_error(password_form, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "Password changed. API tokens issued before now no longer work.")
            return redirect("accounts:settings")
    profile_form = ProfileForm(initial={"full_name": user.full_name, "company": user.company})
    return _settings_page(request, profile_form=profile_form, password_form=password_form)


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created_key, raw_key = services.api_key_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            # Held in the session only until the redirect below is followed, so that reloading
            # the page neither creates a second key nor shows this one again.
            request.session[NEW_API_KEY_SESSION_KEY] = {"name": created_key.name, "raw_key": raw_key}
            return redirect("accounts:api_keys")
    context = {
        "account": credit_account_get(user=request.user),
        "api_keys": selectors.api_key_list_for_user(user=request.user),
        "form": form,
        "new_key": request.session.pop(NEW_API_KEY_SESSION_KEY, None) if request.method == "GET" else None,
    }
    return render(request, "accounts/api_keys.html", context)


@login_required
def api_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    api_key = selectors.api_key_get_for_user(user=request.user, key_id=key_id)
    if request.method == "POST":
        services.api_key_revoke(api_key=api_key)
        messages.success(request, f"Key “{api_key.name}” revoked. Requests using it now get 401.")
        return redirect("accounts:api_keys")
    context = {"account": credit_account_get(user=request.user), "api_key": api_key}
    return render(request, "accounts/api_key_revoke.html", context)
