"""A simulated emergency bell gateway (비상벨 중계 장치): presses bells on command, over
HTTP (`POST /api/bells/<code>/press` with the gateway's API token) or MQTT
(`<prefix>/bells/<code>/press` with `{"token": …}`), exactly as a real gateway would.

Owns only the wire side of a press; tests and `gwanje camsim-bell` use it so every press
takes the real path through the web server or the broker. The token is never printed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class BellGateway:
    token: str  # the gateway account's API token (gwj_…)
    base_url: str | None = None  # the center, e.g. http://127.0.0.1:8000
    mqtt_url: str | None = None  # the broker, e.g. mqtt://127.0.0.1:1883
    mqtt_prefix: str = "gwanje"

    def press_http(self, code: str, timeout: float = 10.0) -> httpx.Response:
        """One press over HTTP; the center's answer (202, or 404 for an unknown bell)."""
        if self.base_url is None:
            raise ValueError("no base_url for HTTP presses")
        url = f"{self.base_url.rstrip('/')}/api/bells/{code}/press"
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.post(url, headers=headers, json={}, timeout=timeout)

    def press_mqtt(self, code: str, timeout: float = 10.0) -> None:
        """One press over MQTT (QoS 1, waits for the broker's PUBACK)."""
        if self.mqtt_url is None:
            raise ValueError("no mqtt_url for MQTT presses")
        parts = urlsplit(self.mqtt_url)
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bellgw-{uuid.uuid4().hex[:8]}"
        )
        if parts.username:
            client.username_pw_set(parts.username, parts.password)
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, 30)
        client.loop_start()
        try:
            topic = f"{self.mqtt_prefix.rstrip('/')}/bells/{code}/press"
            payload: dict[str, Any] = {"token": self.token}
            client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(timeout)
        finally:
            client.loop_stop()
            client.disconnect()
