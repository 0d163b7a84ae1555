"""Application errors: services raise these; the API and the dashboard translate them in one place."""


class ApplicationError(Exception):
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class BadRequest(ApplicationError):
    status_code = 400
    default_message = "The request body is invalid."


class InvalidInput(ApplicationError):
    """Semantic error in otherwise well-formed input (422, "Validation failed: ...")."""

    status_code = 422
    default_message = "Validation failed."


class InsufficientCredits(ApplicationError):
    status_code = 402
    default_message = "Not enough credits."


class PermissionDeniedError(ApplicationError):
    status_code = 403
    default_message = "You do not have permission to perform this action."


class NotFound(ApplicationError):
    status_code = 404
    default_message = "Not found."


class Conflict(ApplicationError):
    status_code = 409
    default_message = "The resource is not in a state that allows this action."


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_message = "Payload too large."


class RateLimited(ApplicationError):
    status_code = 429
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__(message)


class ServiceUnavailable(ApplicationError):
    status_code = 503
    default_message = "This service is not available right now."


def choice_check(field: str, value: str | None, allowed: list[str]) -> str | None:
    """A list filter's value, or None when absent; raises InvalidInput (422) naming the allowed ones."""
    if value and value not in allowed:
        raise InvalidInput(
            f"Validation failed: {field} must be one of {', '.join(allowed)}.",
            details={field: [f"Unknown {field} {value!r}."]},
        )
    return value or None
