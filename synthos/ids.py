"""Public ids: a short prefix and 20 random base62 characters (`ds_...`), never a row count."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def make_id(prefix: str) -> str:
    # The first random character is a letter: Django's admin reads "_" + two characters such as
    # "_5F" or "_3A" in a URL as an escaped character, and every such code starts with a digit.
    return f"{prefix}_" + secrets.choice(string.ascii_letters) + "".join(secrets.choice(_ALPHABET) for _ in range(19))
