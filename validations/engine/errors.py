"""The one exception the engine raises for input it cannot read."""


class EngineInputError(Exception):
    """The input file cannot be read; the message names the problem and where it is.

    Callers show ``str(exc)`` to the customer as is, so it must be a full sentence that says what
    is wrong (and, where known, which line or byte) rather than a library's internal error text.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
