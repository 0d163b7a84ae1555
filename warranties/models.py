"""Warranties: a staff-reviewed promise that a model trained on a validated file reaches a metric,
and the claims that test that promise by measuring it on fresh labelled data."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from synthos.ids import make_id


def new_warranty_id() -> str:
    return make_id("war")


def new_claim_id() -> str:
    return make_id("clm")


class WarrantyStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLAIMED = "claimed", "Claimed"
    EXPIRED = "expired", "Expired"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    MEASURING = "measuring", "Measuring"
    MEASURED = "measured", "Measured"
    FAILED = "failed", "Failed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Warranty(models.Model):
    Status = WarrantyStatus

    id = models.CharField(primary_key=True, max_length=32, default=new_warranty_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="warranties")
    # RESTRICT: the promise is about this validation's prediction, so the validation cannot be deleted
    # on its own (like PROTECT); deleting the account still takes both.
    validation = models.OneToOneField("validations.Validation", on_delete=models.RESTRICT, related_name="warranty")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW)
    metric = models.CharField(max_length=16)
    guaranteed_value = models.FloatField(help_text="The metric a claim's measurement must reach (report units).")
    coverage_credits = models.PositiveIntegerField(help_text="Paid out once, as credits, on an approved claim.")
    expires_at = models.DateTimeField()
    conditions = models.TextField(help_text="The baseline learner and evaluation protocol, in plain words.")
    proposed_terms = models.JSONField(default=dict, blank=True, help_text="The terms as first proposed.")
    credits_charged = models.PositiveIntegerField(default=0)
    credits_refunded = models.PositiveIntegerField(default=0)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "warranties"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="warranty_owner_created"),
            models.Index(fields=["status", "expires_at"], name="warranty_status_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WarrantyStatus.values), name="warranty_status_valid"),
            models.CheckConstraint(condition=~Q(metric=""), name="warranty_metric_not_empty"),
            models.CheckConstraint(condition=~Q(conditions=""), name="warranty_conditions_not_empty"),
            models.CheckConstraint(condition=Q(coverage_credits__gt=0), name="warranty_coverage_positive"),
            models.CheckConstraint(
                condition=Q(credits_refunded__lte=F("credits_charged")), name="warranty_refund_within_charge"
            ),
            models.CheckConstraint(
                condition=Q(status="pending_review", reviewed_at__isnull=True)
                | (~Q(status="pending_review") & Q(reviewed_at__isnull=False)),
                name="warranty_reviewed_at_iff_reviewed",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_note=""), name="warranty_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="claimed", claimed_at__isnull=False)
                | (~Q(status="claimed") & Q(claimed_at__isnull=True)),
                name="warranty_claimed_at_iff_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"Warranty {self.id} on {self.validation_id}"

    @property
    def is_claimable(self) -> bool:
        return self.status == self.Status.APPROVED and self.expires_at > timezone.now()

    @property
    def timeline(self) -> list[dict]:
        """The status changes so far, oldest first: [{status, label, at}]."""
        reviewed = self.Status.REJECTED if self.status == self.Status.REJECTED else self.Status.APPROVED
        steps = [
            (self.Status.PENDING_REVIEW, self.created_at),
            (reviewed, self.reviewed_at),
            (self.Status.CLAIMED, self.claimed_at),
            (self.Status.EXPIRED, self.expired_at),
        ]
        return [{"status": status.value, "label": status.label, "at": at} for status, at in steps if at]


class Claim(models.Model):
    Status = ClaimStatus

    # Open: the customer waits on a measurement or on staff. One at a time per warranty.
    OPEN = (Status.SUBMITTED, Status.MEASURING, Status.MEASURED)

    id = models.CharField(primary_key=True, max_length=32, default=new_claim_id, editable=False)
    # CASCADE: a claim is part of its warranty (an account's deletion takes both).
    warranty = models.ForeignKey(Warranty, on_delete=models.CASCADE, related_name="claims")
    # SET_NULL: the customer may delete the holdout later; the measurement stays on the claim.
    holdout_dataset = models.ForeignKey(
        "datasets.Dataset", on_delete=models.SET_NULL, null=True, blank=True, related_name="warranty_claims"
    )
    holdout_dataset_name = models.CharField(max_length=200)
    evidence = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    attempts = models.PositiveSmallIntegerField(default=0)
    observed_value = models.FloatField(null=True, blank=True)
    measurement = models.JSONField(null=True, blank=True, help_text="{metric, model, n_train, n_holdout, protocol}")
    error = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    payout_credits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["warranty", "-created_at"], name="claim_warranty_created"),
            models.Index(fields=["status", "started_at"], name="claim_status_started"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.UniqueConstraint(
                fields=["warranty"],
                condition=Q(status__in=["submitted", "measuring", "measured"]),
                name="claim_one_open_per_warranty",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["measured", "approved"]) | Q(observed_value__isnull=False),
                name="claim_measured_has_value",
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="claim_failed_has_error"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_note=""), name="claim_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="approved", payout_credits__gt=0) | (~Q(status="approved") & Q(payout_credits=0)),
                name="claim_payout_iff_approved",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["approved", "rejected"], decided_at__isnull=False)
                | (~Q(status__in=["approved", "rejected"]) & Q(decided_at__isnull=True)),
                name="claim_decided_at_iff_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.id} on {self.warranty_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
