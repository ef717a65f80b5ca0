"""What every sender of outside messages implements, and how it reports failure."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One outbox row as a sender sees it.

    `idempotency_key` is the row's dedupe key: it is the same on every attempt, so a
    receiver that remembers it can drop the copy a resend after a crash would produce.
    """

    id: int
    channel: str
    recipient: str
    subject: str | None
    body: str | None
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """Sending failed. `permanent` means trying again cannot help (bad address, refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """A sender. `send` returns normally only when the receiver has accepted the message."""

    name: str

    def send(self, message: Outgoing) -> None: ...
