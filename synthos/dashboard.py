"""The dashboard's one translation of service errors (ApplicationError) into what a page shows."""

from django import forms

from synthos.errors import ApplicationError

_API_PREFIX = "Validation failed: "


def application_error_message(error: ApplicationError) -> str:
    """The error's message for a person reading a page (the API's "Validation failed: " prefix dropped)."""
    return error.message.removeprefix(_API_PREFIX)


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
        form.add_error(field, application_error_message(error))
