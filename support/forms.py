"""Dashboard forms for Help pages. They check shape; the services decide."""

from django import forms

from support.models import Ticket


class TicketCreateForm(forms.Form):
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    priority = forms.ChoiceField(choices=Ticket.Priority.choices, initial=Ticket.Priority.NORMAL)
    body = forms.CharField(
        label="How can we help?",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you did, what you expected and what happened. We answer within 4 business hours.",
    )
    dataset_id = forms.CharField(label="Dataset", max_length=32, required=False, help_text="e.g. ds_…")
    validation_id = forms.CharField(label="Validation", max_length=32, required=False, help_text="e.g. val_…")


class TicketReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))


class StaffReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply to the customer",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="Sent as a staff message; the customer is emailed and the ticket becomes awaiting customer.",
    )
