from django.conf import settings

from synthos.email import send_templated_email


def send_verification_code(*, user, code: str) -> None:
    send_templated_email(
        to=user.email,
        subject=f"Your Synthos verification code: {code}",
        template="verification_code",
        context={"user": user, "code": code, "ttl_minutes": settings.OTP_TTL_MINUTES},
    )
