"""The customer's emails about warranties and claims (text + HTML, sent on commit by services)."""

from django.conf import settings

from synthos.email import send_templated_email
from warranties.models import Claim, Warranty


def _warranty_url(warranty: Warranty) -> str:
    return f"{settings.SITE_URL}/warranties/{warranty.id}/"


def send_warranty_approved(*, warranty: Warranty) -> None:
    """The warranty is in force: its terms and until when."""
    send_templated_email(
        to=warranty.owner.email,
        subject=f"Your warranty {warranty.id} is approved",
        template="warranty_approved",
        context={"user": warranty.owner, "warranty": warranty, "warranty_url": _warranty_url(warranty)},
    )


def send_warranty_rejected(*, warranty: Warranty) -> None:
    """The warranty was declined: why, and that the request's credits came back."""
    send_templated_email(
        to=warranty.owner.email,
        subject=f"Your warranty request {warranty.id} was declined",
        template="warranty_rejected",
        context={"user": warranty.owner, "warranty": warranty, "warranty_url": _warranty_url(warranty)},
    )


def send_claim_approved(*, claim: Claim) -> None:
    """The claim is paid: how many credits, against which measurement."""
    warranty = claim.warranty
    send_templated_email(
        to=warranty.owner.email,
        subject=f"Your claim {claim.id} is approved: {claim.payout_credits} credits paid",
        template="claim_approved",
        context={"user": warranty.owner, "warranty": warranty, "claim": claim, "warranty_url": _warranty_url(warranty)},
    )


def send_claim_rejected(*, claim: Claim) -> None:
    """The claim was declined, with staff's reason; the warranty stays in force until it expires."""
    warranty = claim.warranty
    send_templated_email(
        to=warranty.owner.email,
        subject=f"Your claim {claim.id} was declined",
        template="claim_rejected",
        context={"user": warranty.owner, "warranty": warranty, "claim": claim, "warranty_url": _warranty_url(warranty)},
    )
