"""HTTP webhooks: JSON POSTed to a configured URL, signed, with an Idempotency-Key header.

Used for messages a case throws to an outside system (the hotline's Msg_HotlineFeedback).
The receiver should answer 2xx once it has stored the message and 2xx (or 409) again when
it sees an Idempotency-Key it already has; we resend after a crash or a timeout, never
otherwise.
"""

from __future__ import annotations

import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from supervision.channels.base import DeliveryError
from supervision.channels.base import Outgoing

RETRYABLE_STATUS = frozenset({408, 425, 429})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be re-sent as GET or to a host nobody configured.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", as the receiver recomputes it."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    """Delivers 'message' outbox rows to the URL configured for the message name."""

    name = "message"

    def __init__(
        self, urls: Mapping[str, str], *, secret: str | None = None, timeout: float = 10.0
    ) -> None:
        self.urls = dict(urls)
        self.secret = secret
        self.timeout = timeout

    def accepts(self, recipient: str) -> bool:
        return recipient in self.urls

    def body(self, message: Outgoing) -> bytes:
        document = {
            "id": message.id,
            "idempotency_key": message.idempotency_key,
            "message": message.recipient,
            **{k: v for k, v in message.payload.items() if k != "message"},
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode()

    def send(self, message: Outgoing) -> None:
        url = self.urls.get(message.recipient)
        if url is None:
            raise DeliveryError(f"no webhook configured for {message.recipient}", permanent=True)
        body = self.body(message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            "X-Supervision-Message": message.recipient,
            "X-Supervision-Timestamp": timestamp,
            "User-Agent": "supervision-worker",
        }
        if self.secret:
            headers["X-Supervision-Signature"] = signature(self.secret, timestamp, body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()  # it holds the connection open
            if status == 409:
                return  # the receiver already has this key: delivered before a crash
            permanent = 300 <= status < 500 and status not in RETRYABLE_STATUS
            raise DeliveryError(f"{url} answered HTTP {status}", permanent=permanent) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"{url} unreachable: {exc}") from exc
