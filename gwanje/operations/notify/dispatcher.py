"""The dispatcher: sends the outbox, retries, escalates; and the MQTT acknowledgement
listener. Runs in the web process (like the governance sweep) — any number of
dispatchers may run against one database, the claims keep them apart.

One round (`run_once`): reclaim rows whose sender died, escalate unacknowledged or failed
rows, claim due rows, send them in parallel outside any transaction (each send bounded
by `send_timeout_s`), record each outcome in its own short transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from starlette.concurrency import run_in_threadpool

from gwanje.context import Gwanje
from gwanje.operations.kinds import AckVia
from gwanje.operations.notify import outbox
from gwanje.operations.notify.channels import Channels, DeliveryError, Message

log = logging.getLogger(__name__)


@dataclass
class Round:
    """What one round did (for logs and tests)."""

    reclaimed: int = 0
    escalated: int = 0
    sent: int = 0
    failed: int = 0


class Dispatcher:
    def __init__(self, ctx: Gwanje, channels: Channels | None = None, batch: int = 20,
                 parallel: int = 4) -> None:  # fmt: skip
        self.ctx = ctx
        self.ops = ctx.settings.operations
        self.channels = channels or Channels(self.ops)
        self.batch = batch
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="notify")

    def run_once(self) -> Round:
        done = Round()
        with self.ctx.transaction() as session:
            done.reclaimed = outbox.reclaim_stale(session, self.ops, self.ctx.clock)
            done.escalated = len(outbox.escalate_overdue(session, self.ops, self.ctx.clock))
        with self.ctx.transaction() as session:
            claims = outbox.claim_due(session, self.ctx.clock, self.batch)
        for claim, error in zip(claims, self._pool.map(self._deliver, claims), strict=True):
            with self.ctx.transaction() as session:
                if error is None:
                    outbox.record_sent(session, self.ops, self.ctx.clock, claim)
                    done.sent += 1
                else:
                    outbox.record_failure(session, self.ops, self.ctx.clock, claim, error)
                    done.failed += 1
        return done

    def _deliver(self, claim: outbox.Claim) -> str | None:
        """Send one claimed row; the error text, or None when the receiver accepted it."""
        recipient = self.ops.recipient(claim.recipient)
        if recipient is None or claim.channel_index >= len(recipient.channels):
            return "recipient or channel no longer configured"
        address = recipient.channels[claim.channel_index]
        if address.kind.value != claim.channel:
            return "recipient's channels changed since queueing"
        secret = self.ctx.settings.secret()
        token = outbox.ack_token(secret, claim.id)
        message = Message(claim.id, claim.payload, token, self.ops.public_url.rstrip("/"))
        try:
            self.channels.send(address, message)
        except DeliveryError as exc:
            return str(exc)
        except Exception as exc:  # a channel bug must not stop the other deliveries
            log.exception("notification %s: channel %s failed", claim.id, claim.channel)
            return f"{claim.channel}: {type(exc).__name__}"
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.channels.close()

    async def run_forever(self) -> None:
        while True:
            try:
                done = await run_in_threadpool(self.run_once)
                if done.failed or done.escalated or done.reclaimed:
                    log.warning("notifications: %s", done)
            except Exception:  # the next round tries again; the web process goes on
                log.exception("notification round failed")
            await asyncio.sleep(self.ops.dispatch_interval_s)


class AckListener:
    """Acknowledgements published by receivers on `<prefix>/ack/<notification id>` with
    the token as payload (plain text or {"token": …})."""

    def __init__(self, ctx: Gwanje) -> None:
        ops = ctx.settings.operations
        assert ops.mqtt_url is not None
        parts = urlsplit(ops.mqtt_url)
        self.ctx = ctx
        self.topic = f"{ops.mqtt_prefix.rstrip('/')}/ack/+"
        self.subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
        if parts.username:
            self._client.username_pw_set(parts.username, parts.password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self.subscribed.set()
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(parts.hostname or "127.0.0.1", parts.port or 1883, 30)
        self._client.loop_start()

    def _on_connect(self, client: mqtt.Client, *_: object) -> None:
        client.subscribe(self.topic, qos=1)

    def _on_message(self, _client: mqtt.Client, _data: object, msg: mqtt.MQTTMessage) -> None:
        try:
            notification_id = int(msg.topic.rsplit("/", 1)[1])
            token = _token_of(msg.payload)
            with self.ctx.transaction() as session:
                accepted = outbox.acknowledge_by_token(
                    session, self.ctx.settings.secret(), self.ctx.clock, notification_id,
                    token, AckVia.MQTT,
                )  # fmt: skip
            if accepted is None:
                log.warning("MQTT ack for notification %s refused", notification_id)
        except Exception:  # a bad message never stops the listener
            log.exception("bad MQTT acknowledgement on %s", msg.topic)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def _token_of(payload: bytes | bytearray) -> str:
    text = bytes(payload).decode("utf-8", "replace").strip()
    if text.startswith("{"):
        value = json.loads(text).get("token", "")
        return value if isinstance(value, str) else ""
    return text
