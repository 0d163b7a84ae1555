"""The dashboard's one translation of service errors (ApplicationError) into form errors."""

from django import forms

from synthos.errors import ApplicationError

_API_PREFIX = "Validation failed: "


def form_add_application_error(form: forms.Form, error: ApplicationError, *, field: str | None = None) -> None:
    """Show a service's error on the form it came from.

    Field messages in `error.details` go on the matching form fields; an error without them goes on
    `field` when given (e.g. a duplicate email on the email field), otherwise on top of the form.
    """
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for name, messages in details.items():
        if name in form.fields:
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(field, error.message.removeprefix(_API_PREFIX))
