"""Outbound webhook events of warranties: `warranty.approved`, `warranty.rejected`, `claim.decided`.

The payload is the public representation the API gives (WarrantyOutput / ClaimOutput), built from
the row here so services never import the API layer.
"""

from synthos.timestamps import api_datetime
from synthos.webhooks.services import event_emit
from warranties.models import Claim, Warranty


def warranty_public(warranty: Warranty) -> dict:
    return {
        "id": warranty.id,
        "validation_id": warranty.validation_id,
        "status": warranty.status,
        "metric": warranty.metric,
        "guaranteed_value": warranty.guaranteed_value,
        "coverage_credits": warranty.coverage_credits,
        "expires_at": api_datetime(warranty.expires_at),
        "conditions": warranty.conditions,
        "review_note": warranty.review_note or None,
        "reviewed_at": api_datetime(warranty.reviewed_at),
    }


def claim_public(claim: Claim) -> dict:
    return {
        "id": claim.id,
        "warranty_id": claim.warranty_id,
        "status": claim.status,
        "observed_value": claim.observed_value,
        "payout_credits": claim.payout_credits,
        "decision_note": claim.decision_note or None,
        "decided_at": api_datetime(claim.decided_at),
    }


def warranty_decided_emit(warranty_id: str) -> None:
    warranty = Warranty.objects.select_related("owner").get(pk=warranty_id)
    event_emit(user=warranty.owner, type=f"warranty.{warranty.status}", data=warranty_public(warranty))


def claim_decided_emit(claim_id: str) -> None:
    claim = Claim.objects.select_related("warranty__owner").get(pk=claim_id)
    event_emit(user=claim.warranty.owner, type="claim.decided", data=claim_public(claim))
