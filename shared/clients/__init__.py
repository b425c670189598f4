"""Typed clients of the services' internal HTTP APIs. Each returns the response models declared
here (the shape of the other service's answer), so a renamed field fails type-checking instead of
a page or a mail at run time. The transport (service token, retry on 401, errors) is in `base`."""

from shared.clients.base import Gone, InternalApi, ServiceTokens, Unavailable

__all__ = ["Gone", "InternalApi", "ServiceTokens", "Unavailable"]
