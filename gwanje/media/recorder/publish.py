"""Camera health and recording gaps published as events on MQTT (optional).

The index keeps the history (camera_health, gaps); this publishes the same changes as they
happen, for consoles and other systems (a disaster room, a police liaison screen) that
subscribe instead of polling. Topics, under `recording.mqtt_prefix`:

- `<prefix>/cameras/<camera id>/<stream>/health` — retained, QoS 1:
  `{"camera_id", "stream", "state", "at", "detail"}`; a late subscriber gets the current state.
- `<prefix>/cameras/<camera id>/<stream>/gap` — QoS 1: `{"camera_id", "stream", "cause",
  "start", "detail"}` when recording of a stream stops.

Publishing never blocks or breaks recording: the client runs its own network thread,
reconnects by itself, and a broker that is down only costs the live notifications (the
history is in the database either way).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gwanje.media.recorder.messages import HealthChanged, Report, StreamDown

log = logging.getLogger(__name__)


class EventPublisher:
    def __init__(self, url: str, prefix: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"MQTT URL must look like mqtt://host:1883, not {url!r}")
        self.prefix = prefix.rstrip("/")
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
        if parts.username:
            self._client.username_pw_set(parts.username, parts.password)
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(parts.hostname, parts.port or 1883, keepalive=30)
        self._client.loop_start()

    def publish(self, reports: Sequence[Report]) -> None:
        for report in reports:
            if isinstance(report, HealthChanged):
                self._send(report.key.camera_id, report.key.stream, "health", {
                    "state": report.state, "at": report.at.isoformat(), "detail": report.detail,
                }, retain=True)  # fmt: skip
            elif isinstance(report, StreamDown):
                self._send(report.key.camera_id, report.key.stream, "gap", {
                    "cause": report.cause, "start": report.at.isoformat(), "detail": report.detail,
                }, retain=False)  # fmt: skip

    def _send(self, camera_id: int, stream: str, kind: str, body: dict[str, str],
              retain: bool) -> None:  # fmt: skip
        topic = f"{self.prefix}/cameras/{camera_id}/{stream}/{kind}"
        payload = json.dumps({"camera_id": camera_id, "stream": stream, **body})
        result = self._client.publish(topic, payload, qos=1, retain=retain)
        if result.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("MQTT publish to %s failed: %s", topic, mqtt.error_string(result.rc))

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
