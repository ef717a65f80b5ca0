"""E-mail over SMTP (configured by SUPERVISION_SMTP_* environment variables).

The Message-ID is derived from the outbox row's dedupe key, so a resend after a crash
carries the same Message-ID (and an X-Idempotency-Key header): mail stores that
de-duplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from supervision.channels.base import DeliveryError
from supervision.channels.base import Outgoing

SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    security: str = "starttls"
    timeout: float = 20.0


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "supervision.local"
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def build_message(settings: SmtpSettings, message: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or "执法监督工作流通知"
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(message.idempotency_key, settings.sender)
    mail["X-Idempotency-Key"] = message.idempotency_key
    mail.set_content(message.body or message.subject or "", charset="utf-8")
    return mail


class EmailChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY_MODES)}")
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: Outgoing) -> None:
        if "@" not in message.recipient:
            raise DeliveryError(f"not an e-mail address: {message.recipient!r}", permanent=True)
        mail = build_message(self.settings, message)
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password or "")
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {message.recipient}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            raise DeliveryError(text, permanent=permanent) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc}") from exc
