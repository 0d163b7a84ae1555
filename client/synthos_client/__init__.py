"""Synthos API client and CLI (standard library only)."""

from synthos_client.api import ApiError, Client

__version__ = "0.1.0"
__all__ = ["ApiError", "Client", "__version__"]
