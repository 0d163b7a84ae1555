"""drf-spectacular adjustments: documented paths without the tolerated trailing slash."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BearerJWTScheme(SimpleJWTScheme):
    target_class = "synthos.api.authentication.BearerJWTAuthentication"
    name = "BearerAuth"


def strip_optional_trailing_slash(endpoints, **kwargs):
    # Routes are `^path/?$`; the contract documents them without the slash.
    return [
        (path.rstrip("/") if path != "/" else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]
