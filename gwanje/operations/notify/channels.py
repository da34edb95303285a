"""Channels that deliver a notification: signed webhook, MQTT, email (SMTP), SMS gateway.

Each channel turns a `Message` into one network delivery and either returns (delivered:
the receiver's server accepted it — HTTP 2xx, MQTT PUBACK, SMTP 250) or raises
`DeliveryError` with a short reason for the timeline. No channel retries: retrying is
the outbox's job, with backoff, so a dead receiver never blocks the dispatcher.

Invariants: every delivery carries the notification id (receivers deduplicate on it) and
the acknowledgement token; secrets (webhook key, SMTP password, gateway key) are used,
never logged or put in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gwanje.operations.config import ChannelAddress, OperationsSettings
from gwanje.operations.kinds import ChannelKind

SIGNATURE_HEADER = "X-Gwanje-Signature"


class DeliveryError(Exception):
    """The receiver did not accept the delivery; the message is safe to show."""


@dataclass(frozen=True)
class Message:
    """One notification as it leaves the center."""

    notification_id: int
    payload: dict[str, Any]
    ack_token: str
    public_url: str  # where receivers reach the center

    def body(self) -> dict[str, Any]:
        """The JSON a system receives: its acknowledgement goes to the API."""
        url = f"{self.public_url}/api/notifications/{self.notification_id}/ack"
        return {"id": self.notification_id, **self.payload, "ack": {
            "url": url, "token": self.ack_token}}  # fmt: skip

    def ack_link(self) -> str:
        """The link a person opens (email, SMS): a page with a confirm button."""
        return f"{self.public_url}/ack/{self.notification_id}?token={self.ack_token}"

    def subject(self) -> str:
        if "notice" in self.payload:
            return f"[관제센터] {self.payload['notice']['title']}"
        return f"[관제센터] {self.payload['incident']['title']}"

    def text(self) -> str:
        """Short Korean text for email and SMS."""
        if "notice" in self.payload:
            notice = self.payload["notice"]
            return f"[관제센터] {notice['title']}\n{notice['text']}\n수신 확인: {self.ack_link()}"
        incident = self.payload["incident"]
        cameras = ", ".join(c["code"] for c in incident["cameras"]) or "-"
        return (
            f"[관제센터 {incident['severity']}] {incident['title']}\n"
            f"유형 {incident['type']} · 장소 {incident['location'] or '-'} · 카메라 {cameras}\n"
            f"수신 확인: {self.ack_link()}"
        )


class Channel(Protocol):
    def send(self, address: ChannelAddress, message: Message) -> None: ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """Stripe-style signature: HMAC-SHA256 over "<t>.<body>"."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: bytes, header: str, body: bytes, now: float,
                     tolerance_s: float = 300) -> bool:  # fmt: skip
    """What a receiver does (used by tests and the federation peer)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookChannel:
    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(self, address: ChannelAddress, message: Message) -> None:
        assert address.url is not None
        assert address.secret is not None
        body = json.dumps(message.body(), ensure_ascii=False).encode()
        signature = sign(address.secret.get_secret_value().encode(), int(time.time()), body)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   SIGNATURE_HEADER: signature,
                   "Idempotency-Key": f"gwanje-notification-{message.notification_id}"}  # fmt: skip
        try:
            response = self._client.post(address.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()


class MqttChannel:
    """Publishes with QoS 1 and waits for the broker's PUBACK."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"MQTT URL must look like mqtt://host:1883, not {url!r}")
        self._timeout = timeout_s
        self._connected = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
        if parts.username:
            self._client.username_pw_set(parts.username, parts.password)
        self._client.on_connect = lambda *_: self._connected.set()
        self._client.on_disconnect = lambda *_: self._connected.clear()
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(parts.hostname, parts.port or 1883, keepalive=30)
        self._client.loop_start()

    def send(self, address: ChannelAddress, message: Message) -> None:
        assert address.topic is not None
        if not self._connected.wait(self._timeout):
            raise DeliveryError("mqtt: broker not connected")
        body = json.dumps(message.body(), ensure_ascii=False)
        info = self._client.publish(address.topic, body, qos=1)
        try:
            info.wait_for_publish(self._timeout)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryError(f"mqtt: {exc}") from None
        if not info.is_published():
            raise DeliveryError("mqtt: no PUBACK in time")

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


class EmailChannel:
    def __init__(self, ops: OperationsSettings) -> None:
        self._smtp = ops.smtp
        self._timeout = ops.send_timeout_s

    def send(self, address: ChannelAddress, message: Message) -> None:
        assert address.email is not None
        mail = EmailMessage()
        mail["Subject"] = message.subject()
        mail["From"] = self._smtp.sender
        mail["To"] = address.email
        mail["Message-ID"] = f"<gwanje-notification-{message.notification_id}@gwanje>"
        mail.set_content(message.text())
        try:
            with smtplib.SMTP(self._smtp.host, self._smtp.port, timeout=self._timeout) as smtp:
                if self._smtp.starttls:
                    smtp.starttls()
                if self._smtp.username and self._smtp.password:
                    smtp.login(self._smtp.username, self._smtp.password.get_secret_value())
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"email: {type(exc).__name__}") from None


class SmsChannel:
    """A generic HTTP SMS gateway: POST {"to", "text", "id"} with a bearer key."""

    def __init__(self, ops: OperationsSettings) -> None:
        self._gateway = ops.sms
        self._client = httpx.Client(timeout=ops.send_timeout_s, follow_redirects=False)

    def send(self, address: ChannelAddress, message: Message) -> None:
        if not self._gateway.url:
            raise DeliveryError("sms: no gateway configured (operations.sms.url)")
        headers = {}
        if self._gateway.api_key:
            headers["Authorization"] = f"Bearer {self._gateway.api_key.get_secret_value()}"
        body = {"to": address.phone, "text": message.text(), "id": message.notification_id}
        try:
            response = self._client.post(self._gateway.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"sms: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"sms: HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()


class Channels:
    """The channel for each kind, built once per dispatcher from the settings."""

    def __init__(self, ops: OperationsSettings) -> None:
        self._by_kind: dict[ChannelKind, Channel] = {
            ChannelKind.WEBHOOK: WebhookChannel(ops.send_timeout_s),
            ChannelKind.EMAIL: EmailChannel(ops),
            ChannelKind.SMS: SmsChannel(ops),
        }
        if ops.mqtt_url:
            self._by_kind[ChannelKind.MQTT] = MqttChannel(ops.mqtt_url, ops.send_timeout_s)

    def send(self, address: ChannelAddress, message: Message) -> None:
        channel = self._by_kind.get(address.kind)
        if channel is None:
            raise DeliveryError(f"{address.kind.value}: not configured")
        channel.send(address, message)

    def close(self) -> None:
        for channel in self._by_kind.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
