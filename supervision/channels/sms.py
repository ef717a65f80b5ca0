"""SMS: a small gateway interface; each deployment plugs in its operator's API.

SUPERVISION_SMS_GATEWAY names the gateway: "log" (development: writes the text to the
log, and to SUPERVISION_SMS_LOG_FILE as JSON lines when set) or "package.module:factory",
a callable taking the environment mapping and returning an object with
`send_sms(phone, text, idempotency_key)`. Pass the idempotency key on to the operator
where its API has one (most have a client-side "out id"), so a resend is dropped there.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from supervision.channels.base import DeliveryError
from supervision.channels.base import Outgoing

log = logging.getLogger(__name__)
_PHONE = re.compile(r"^\+?\d{6,15}$")
MAX_SMS_CHARS = 500


class SmsGateway(Protocol):
    def send_sms(self, phone: str, text: str, idempotency_key: str) -> None: ...


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class LoggingSmsGateway:
    """For development and acceptance tests: nothing leaves the machine."""

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def send_sms(self, phone: str, text: str, idempotency_key: str) -> None:
        log.info("SMS to %s (%s): %s", mask_phone(phone), idempotency_key, text)
        if self.path is not None:
            line = json.dumps(
                {"phone": phone, "text": text, "idempotency_key": idempotency_key},
                ensure_ascii=False,
            )
            with self._lock, self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")


def load_gateway(spec: str, env: Mapping[str, str]) -> SmsGateway:
    if spec == "log":
        return LoggingSmsGateway(env.get("SUPERVISION_SMS_LOG_FILE"))
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"SUPERVISION_SMS_GATEWAY must be 'log' or 'module:factory', got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(env)


class SmsChannel:
    name = "sms"

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, message: Outgoing) -> None:
        phone = re.sub(r"[\s-]", "", message.recipient)
        if not _PHONE.match(phone):
            raise DeliveryError(f"not a phone number: {mask_phone(phone)}", permanent=True)
        text = (message.body or message.subject or "")[:MAX_SMS_CHARS]
        try:
            self.gateway.send_sms(phone, text, message.idempotency_key)
        except DeliveryError:
            raise
        except Exception as exc:  # an operator SDK raises whatever it likes
            raise DeliveryError(f"SMS gateway failed: {type(exc).__name__}: {exc}") from exc
