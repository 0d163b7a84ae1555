"""Forms for the warranty pages and the staff review. They check shape; the services decide."""

from django import forms
from django.utils import timezone


class ClaimCreateForm(forms.Form):
    holdout_dataset_id = forms.ChoiceField(
        label="Holdout dataset",
        help_text="A ready dataset of fresh labelled rows from the same source as the validated file.",
    )
    evidence = forms.CharField(
        label="What you observed (optional)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, datasets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holdout_dataset_id"].choices = [
            (dataset.pk, f"{dataset.name} · {dataset.row_count} rows · {dataset.pk}") for dataset in datasets
        ]


class WarrantyApproveForm(forms.Form):
    guaranteed_value = forms.FloatField(help_text="The metric a claim's measurement must reach.")
    coverage_credits = forms.IntegerField(min_value=1, help_text="Paid once, as credits, on an approved claim.")
    expires_at = forms.DateTimeField(
        help_text="UTC, e.g. 2027-03-01 12:00.", widget=forms.DateTimeInput(format="%Y-%m-%d %H:%M")
    )
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 8, "cols": 80}))
    note = forms.CharField(
        label="Note to the customer (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80})
    )

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expires_at


class ReasonForm(forms.Form):
    """A staff rejection (of a warranty or a claim): the reason is emailed to the customer."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), help_text="Emailed to the customer as the reason."
    )


class ClaimApproveForm(forms.Form):
    note = forms.CharField(
        label="Note to the customer (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80})
    )
