from django import forms

from validations.models import Validation


class ValidationStartForm(forms.Form):
    """The dataset page's "Run validation" form; columns are checked against the schema by the service."""

    tier = forms.ChoiceField(choices=Validation.Tier.choices, widget=forms.RadioSelect, initial="standard")
    target_column = forms.CharField(required=False, max_length=255)
    text_column = forms.CharField(required=False, max_length=255)


class ValidationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Validation.Status.choices], required=False)
    tier = forms.ChoiceField(choices=[("", "Any tier"), *Validation.Tier.choices], required=False)
    dataset = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)


class RerunForm(forms.Form):
    """Admin: re-run validations at the normal price, or on the house with a reason."""

    on_the_house = forms.BooleanField(
        required=False, help_text="Give the price back as a matching adjustment in the customer's ledger."
    )
    reason = forms.CharField(
        required=False, max_length=200, help_text="Shown in the ledger; required when on the house."
    )

    def clean(self):
        data = super().clean()
        if data.get("on_the_house") and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the re-run is on the house.")
        return data
