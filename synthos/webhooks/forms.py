"""Dashboard forms. They check shape; the services decide (their errors arrive via synthos.dashboard)."""

from django import forms

from synthos.webhooks.models import EventType

# The shared `.field input` style is for text boxes; a checkbox keeps its natural size.
CHECKBOX = {"style": "width: auto; padding: 0; margin-right: .4rem; align-self: flex-start;"}


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://ci.example.com/hooks/synthos"}),
        help_text="Synthos POSTs signed JSON events here. Private and loopback addresses are refused in production.",
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX),
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(max_length=255, required=False)


class WebhookEndpointEditForm(WebhookEndpointForm):
    is_active = forms.BooleanField(
        required=False,
        label="Active",
        widget=forms.CheckboxInput(attrs=CHECKBOX),
        help_text="Re-enabling a disabled endpoint clears its failure record.",
    )
