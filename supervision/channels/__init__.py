"""Senders of messages that leave the system, configured by environment variables.

In-app notifications need no channel. The others are optional:

- e-mail: SUPERVISION_SMTP_HOST (+ _PORT, _USER, _PASSWORD, _FROM, _SECURITY
  starttls|ssl|none, _TIMEOUT);
- SMS: SUPERVISION_SMS_GATEWAY = "log" or "package.module:factory" (see channels.sms);
- webhooks for messages cases throw to outside systems: SUPERVISION_MESSAGE_WEBHOOKS =
  "Msg_A=https://...;Msg_B=https://..." (SUPERVISION_HOTLINE_WEBHOOK_URL is a shortcut for
  Msg_HotlineFeedback), signed with SUPERVISION_WEBHOOK_SECRET when set.

Which notification kinds also go out by e-mail or SMS: SUPERVISION_NOTIFY_EMAIL_KINDS
(default "*", every kind) and SUPERVISION_NOTIFY_SMS_KINDS (default "overdue,escalated").
A message whose channel is not configured here is not claimed by the worker: hotline
feedback without a webhook stays in the outbox for the hotline API to read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from supervision.channels.base import Channel
from supervision.channels.base import DeliveryError
from supervision.channels.base import Outgoing
from supervision.channels.sms import SmsChannel
from supervision.channels.sms import load_gateway
from supervision.channels.smtp import EmailChannel
from supervision.channels.smtp import SmtpSettings
from supervision.channels.webhook import WebhookChannel

__all__ = [
    "Channel",
    "ChannelSet",
    "DeliveryError",
    "Outgoing",
    "configured",
    "from_env",
    "use",
]

HOTLINE_FEEDBACK = "Msg_HotlineFeedback"
DEFAULT_SMS_KINDS = "overdue,escalated"


def _kinds(text: str | None, default: str) -> frozenset[str]:
    value = default if text is None else text
    return frozenset(k.strip() for k in value.split(",") if k.strip())


def _webhooks(env: Mapping[str, str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for item in (env.get("SUPERVISION_MESSAGE_WEBHOOKS") or "").split(";"):
        name, sep, url = item.partition("=")
        if sep and name.strip() and url.strip():
            urls[name.strip()] = url.strip()
    hotline = (env.get("SUPERVISION_HOTLINE_WEBHOOK_URL") or "").strip()
    if hotline:
        urls.setdefault(HOTLINE_FEEDBACK, hotline)
    for name, url in urls.items():
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook for {name} must be an http(s) URL, got {url!r}")
    return urls


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = (env.get("SUPERVISION_SMTP_HOST") or "").strip()
    if not host:
        return None
    sender = (env.get("SUPERVISION_SMTP_FROM") or "").strip()
    if not sender:
        raise ValueError("SUPERVISION_SMTP_FROM is required when SUPERVISION_SMTP_HOST is set")
    security = (env.get("SUPERVISION_SMTP_SECURITY") or "starttls").strip().lower()
    default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
    return SmtpSettings(
        host=host,
        port=int(env.get("SUPERVISION_SMTP_PORT") or default_port),
        sender=sender,
        username=env.get("SUPERVISION_SMTP_USER") or None,
        password=env.get("SUPERVISION_SMTP_PASSWORD") or None,
        security=security,
        timeout=float(env.get("SUPERVISION_SMTP_TIMEOUT") or 20),
    )


@dataclass
class ChannelSet:
    """The senders this process can use, and which notifications go where."""

    senders: dict[str, Channel] = field(default_factory=dict)
    webhook: WebhookChannel | None = None
    email_kinds: frozenset[str] = frozenset({"*"})
    sms_kinds: frozenset[str] = frozenset()

    def deliverable(self) -> tuple[frozenset[str], frozenset[str]]:
        """(channels delivered whatever the recipient, message names with a webhook)."""
        names = frozenset(self.webhook.urls) if self.webhook is not None else frozenset()
        return frozenset(self.senders), names

    def sender_for(self, channel: str, recipient: str) -> Channel | None:
        if channel == "message":
            if self.webhook is not None and self.webhook.accepts(recipient):
                return self.webhook
            return None
        return self.senders.get(channel)

    def notification_channels(self, kind: str) -> list[str]:
        """External channels a notification of `kind` also goes out on."""
        chosen = []
        if "email" in self.senders and ("*" in self.email_kinds or kind in self.email_kinds):
            chosen.append("email")
        if "sms" in self.senders and ("*" in self.sms_kinds or kind in self.sms_kinds):
            chosen.append("sms")
        return chosen


def from_env(env: Mapping[str, str] | None = None) -> ChannelSet:
    """Build the channels from SUPERVISION_* variables; raises ValueError on bad config."""
    env = os.environ if env is None else env
    senders: dict[str, Channel] = {}
    smtp = _smtp(env)
    if smtp is not None:
        senders["email"] = EmailChannel(smtp)
    gateway = (env.get("SUPERVISION_SMS_GATEWAY") or "").strip()
    if gateway:
        senders["sms"] = SmsChannel(load_gateway(gateway, env))
    urls = _webhooks(env)
    webhook = (
        WebhookChannel(
            urls,
            secret=env.get("SUPERVISION_WEBHOOK_SECRET") or None,
            timeout=float(env.get("SUPERVISION_WEBHOOK_TIMEOUT") or 10),
        )
        if urls
        else None
    )
    return ChannelSet(
        senders=senders,
        webhook=webhook,
        email_kinds=_kinds(env.get("SUPERVISION_NOTIFY_EMAIL_KINDS"), "*"),
        sms_kinds=_kinds(env.get("SUPERVISION_NOTIFY_SMS_KINDS"), DEFAULT_SMS_KINDS),
    )


_lock = threading.Lock()
_current: ChannelSet | None = None


def configured() -> ChannelSet:
    """This process's channels, read from the environment once."""
    global _current
    with _lock:
        if _current is None:
            _current = from_env()
        return _current


def use(channel_set: ChannelSet | None) -> None:
    """Replace this process's channels (tests, embedding); None re-reads the environment."""
    global _current
    with _lock:
        _current = channel_set
