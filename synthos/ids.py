"""Public ids: a short prefix and 20 random base62 characters (`ds_...`), never a row count."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def make_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))
