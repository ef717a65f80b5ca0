"""The outbox delivers every message, and a crash at any point neither loses one nor
makes an idempotent receiver keep two."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import OutboxMessage
from supervision import clock
from supervision import outbox
from supervision.channels import ChannelSet
from supervision.channels import DeliveryError
from supervision.channels.webhook import WebhookChannel
from tests.worker.conftest import Recorder
from tests.worker.conftest import local


class Crash(BaseException):
    """The process dies here (nothing below the sender gets to run)."""


class IdempotentReceiver:
    """What a well-behaved receiver does: keep the first copy of each key."""

    def __init__(self) -> None:
        self.name = "email"
        self.raw: list[str] = []
        self.kept: dict[str, str] = {}
        self.crash_after_next = False

    def send(self, message) -> None:
        self.raw.append(message.idempotency_key)
        self.kept.setdefault(message.idempotency_key, message.body)
        if self.crash_after_next:
            self.crash_after_next = False
            raise Crash


def _queue(rt, n=1, channel="email", recipient="a@b.example", prefix="k"):
    with rt.sessions.begin() as s:
        for i in range(n):
            outbox.enqueue(
                s,
                channel=channel,
                recipient=recipient,
                subject=f"s{i}",
                body=f"b{i}",
                dedupe_key=f"{prefix}{i}",
            )


def _rows(rt):
    with rt.sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_dedupe_key_is_queued_once(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 1)
    _queue(runtime, 1)
    with runtime.sessions.begin() as s:
        again = outbox.enqueue(s, channel="email", recipient="x", dedupe_key="k0")
    assert again is None
    assert len(_rows(runtime)) == 1


def test_each_message_is_sent_once_and_marked(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 3)
    email = Recorder("email")
    channels = ChannelSet(senders={"email": email})
    stats = outbox.deliver(runtime.sessions, channels, worker_id="w1")
    assert (stats.claimed, stats.sent) == (3, 3)
    assert [m.idempotency_key for m in email.sent] == ["k0", "k1", "k2"]
    assert all(r.sent_at is not None and r.attempts == 1 for r in _rows(runtime))
    assert outbox.deliver(runtime.sessions, channels, worker_id="w1").claimed == 0
    assert len(email.sent) == 3


def test_a_crash_after_claiming_loses_nothing(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 2)
    channels = ChannelSet(senders={"email": Recorder("email")})
    # Worker w1 claims both and dies before sending anything.
    with runtime.sessions.begin() as s:
        claimed = outbox.claim(s, channels, worker_id="w1", batch=10, now=clock.now())
    assert len(claimed) == 2
    # While w1's lease runs, nobody else sends them...
    receiver = IdempotentReceiver()
    other = ChannelSet(senders={"email": receiver})
    clock.shift(outbox.LEASE - timedelta(seconds=1))
    assert outbox.deliver(runtime.sessions, other, worker_id="w2").claimed == 0
    # ...and once it has run out, w2 sends each exactly once.
    clock.shift(timedelta(seconds=1))
    assert outbox.deliver(runtime.sessions, other, worker_id="w2").sent == 2
    assert receiver.raw == ["k0", "k1"]
    assert [r.attempts for r in _rows(runtime)] == [2, 2]
    assert all(r.sent_at is not None for r in _rows(runtime))


def test_a_crash_between_sending_and_marking_sends_the_same_key_again(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 2)
    receiver = IdempotentReceiver()
    channels = ChannelSet(senders={"email": receiver})
    receiver.crash_after_next = True
    with pytest.raises(Crash):
        outbox.deliver(runtime.sessions, channels, worker_id="w1")
    # k0 reached the receiver but was never marked sent; k1 was never sent.
    assert receiver.raw == ["k0"]
    assert [r.sent_at for r in _rows(runtime)] == [None, None]
    clock.shift(outbox.LEASE)
    assert outbox.deliver(runtime.sessions, channels, worker_id="w2").sent == 2
    # The resend carries the same key: the receiver keeps one copy of each message.
    assert receiver.raw == ["k0", "k0", "k1"]
    assert receiver.kept == {"k0": "b0", "k1": "b1"}
    assert all(r.sent_at is not None for r in _rows(runtime))


def test_failures_back_off_then_park_as_dead_and_an_admin_requeues(runtime):
    start = local(2026, 3, 2, 9, 0)
    clock.freeze(start)
    _queue(runtime, 1)
    email = Recorder("email")
    email.fail_with = DeliveryError("mail server busy")
    channels = ChannelSet(senders={"email": email})
    delays = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        stats = outbox.deliver(runtime.sessions, channels, worker_id="w1")
        assert stats.failed == 1, attempt
        row = _rows(runtime)[0]
        assert row.attempts == attempt and row.last_error == "mail server busy"
        if row.dead_at is not None:
            break
        delays.append(row.available_at - clock.now())
        # Not retried before its time.
        assert outbox.deliver(runtime.sessions, channels, worker_id="w1").claimed == 0
        clock.freeze(row.available_at)
    assert _rows(runtime)[0].dead_at is not None
    assert len(delays) == outbox.MAX_ATTEMPTS - 1
    assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert max(delays) == outbox.LONGEST_RETRY
    clock.shift(timedelta(days=3))
    assert outbox.deliver(runtime.sessions, channels, worker_id="w1").claimed == 0  # dead

    with runtime.sessions.begin() as s:
        outbox.requeue(s, _rows(runtime)[0].id, actor="admin")
    email.fail_with = None
    assert outbox.deliver(runtime.sessions, channels, worker_id="w1").sent == 1
    with runtime.sessions() as s:
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "outbox_requeue"))


def test_a_permanent_refusal_is_dead_at_once(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 1)
    email = Recorder("email")
    email.fail_with = DeliveryError("no such mailbox", permanent=True)
    outbox.deliver(runtime.sessions, ChannelSet(senders={"email": email}), worker_id="w1")
    row = _rows(runtime)[0]
    assert row.dead_at is not None and row.attempts == 1


def test_hotline_feedback_without_a_webhook_waits_for_the_hotline_api(runtime):
    clock.freeze(local(2026, 3, 2, 9, 0))
    _queue(runtime, 2, channel="message", recipient="Msg_HotlineFeedback", prefix="fb")
    email = Recorder("email")
    channels = ChannelSet(senders={"email": email})
    assert outbox.deliver(runtime.sessions, channels, worker_id="w").claimed == 0
    assert [r.attempts for r in _rows(runtime)] == [0, 0]  # never claimed
    with runtime.sessions.begin() as s:
        pulled = outbox.pull(s, "Msg_HotlineFeedback")
        assert [m.dedupe_key for m in pulled] == ["fb0", "fb1"]
        assert outbox.acknowledge(s, "Msg_HotlineFeedback", [pulled[0].id], actor="hotline") == 1
        # Acknowledging again, or another recipient's row, changes nothing.
        assert outbox.acknowledge(s, "Msg_HotlineFeedback", [pulled[0].id], actor="hotline") == 0
        assert outbox.acknowledge(s, "Msg_Other", [pulled[1].id], actor="hotline") == 0
    with runtime.sessions() as s:
        assert [m.dedupe_key for m in outbox.pull(s, "Msg_HotlineFeedback")] == ["fb1"]


# ---------------------------------------------------------------- webhooks over HTTP


class Hotline:
    """A stand-in for the 12345 platform: answers from a script, keeps keys it stored."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.requests: list[dict] = []
        self.stored: dict[str, dict] = {}
        hotline = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hotline.requests.append({"headers": dict(self.headers), "body": body})
                status = hotline.answers.pop(0) if hotline.answers else 200
                key = self.headers["Idempotency-Key"]
                if status == 200 and key in hotline.stored:
                    status = 409
                if status == 200:
                    hotline.stored[key] = json.loads(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/feedback"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_hotline_feedback_goes_to_its_webhook_signed_and_retried(runtime):
    clock.freeze(local(2026, 3, 20, 16, 0))
    with runtime.sessions.begin() as s:
        outbox.enqueue(
            s,
            channel="message",
            recipient="Msg_HotlineFeedback",
            dedupe_key="msg:case-1:Msg_HotlineFeedback:1",
            payload={
                "business_key": "GY12345-20260302-0187",
                "variables": {"reply_text": "已核查处理", "case_no": "JD-510800-2026-TS-00012"},
            },
        )
    with Hotline(answers=[503]) as hotline:
        webhook = WebhookChannel({"Msg_HotlineFeedback": hotline.url}, secret="s3cret", timeout=5)
        channels = ChannelSet(webhook=webhook)
        first = outbox.deliver(runtime.sessions, channels, worker_id="w1")
        assert (first.sent, first.failed) == (0, 1)  # 503: try again later
        clock.shift(outbox.FIRST_RETRY)
        assert outbox.deliver(runtime.sessions, channels, worker_id="w1").sent == 1
        assert len(hotline.requests) == 2
        request = hotline.requests[-1]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["idempotency-key"] == "msg:case-1:Msg_HotlineFeedback:1"
        expected = hmac.new(
            b"s3cret",
            headers["x-supervision-timestamp"].encode() + b"." + request["body"],
            hashlib.sha256,
        ).hexdigest()
        assert headers["x-supervision-signature"] == f"sha256={expected}"
        document = json.loads(request["body"])
        assert document["message"] == "Msg_HotlineFeedback"
        assert document["business_key"] == "GY12345-20260302-0187"
        assert document["variables"]["reply_text"] == "已核查处理"


def test_a_webhook_answering_409_already_has_it_and_400_is_refused(runtime):
    clock.freeze(local(2026, 3, 20, 16, 0))
    _queue(runtime, 2, channel="message", recipient="Msg_HotlineFeedback", prefix="m")
    with Hotline(answers=[409, 400]) as hotline:
        channels = ChannelSet(webhook=WebhookChannel({"Msg_HotlineFeedback": hotline.url}))
        stats = outbox.deliver(runtime.sessions, channels, worker_id="w1")
    assert (stats.sent, stats.dead) == (1, 1)
    first, second = _rows(runtime)
    assert first.sent_at is not None
    assert second.dead_at is not None and "HTTP 400" in second.last_error
