"""What the app sees of a client that passed the gate, the Starlette way."""

from __future__ import annotations

from starlette.authentication import BaseUser

from .principal import Principal

__all__ = ["JurisdictionUser"]


class JurisdictionUser(BaseUser):
    """``request.user`` for a client that passed the gate."""

    __slots__ = ("principal",)

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.subject

    @property
    def identity(self) -> str:
        return f"{self.principal.issuer}#{self.principal.subject}"
