"""Bell presses over MQTT: `<operations.mqtt_prefix>/bells/<bell code>/press`.

The payload carries the gateway's API token (`{"token": "gwj_…"}`), so a press over
MQTT is authenticated exactly like one over HTTP (the token's owner must hold
`bell.press`); a publisher without a valid token presses nothing. Runs in the web
process beside the notification acknowledgement listener.
"""

from __future__ import annotations

import json
import logging
import threading
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gwanje.auth import service as auth_service
from gwanje.auth.config import effective_auth
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError
from gwanje.operations.bells import Pressed, press_bell
from gwanje.operations.kinds import PressVia
from gwanje.people.access import resolve_principal
from gwanje.people.models import Person

log = logging.getLogger(__name__)


def press_topic(prefix: str, code: str) -> str:
    return f"{prefix.rstrip('/')}/bells/{code}/press"


class BellListener:
    def __init__(self, ctx: Gwanje) -> None:
        ops = ctx.settings.operations
        assert ops.mqtt_url is not None
        parts = urlsplit(ops.mqtt_url)
        self.ctx = ctx
        self.topic = press_topic(ops.mqtt_prefix, "+")
        self.subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
        if parts.username:
            self._client.username_pw_set(parts.username, parts.password)
        self._client.on_connect = lambda client, *_: client.subscribe(self.topic, qos=1)
        self._client.on_subscribe = lambda *_: self.subscribed.set()
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(parts.hostname or "127.0.0.1", parts.port or 1883, 30)
        self._client.loop_start()

    def _on_message(self, _client: mqtt.Client, _data: object, msg: mqtt.MQTTMessage) -> None:
        try:
            code = msg.topic.split("/")[-2]
            done = self.handle(code, bytes(msg.payload))
            if done is None:
                log.warning("MQTT bell press on %s refused: no valid gateway token", msg.topic)
        except GwanjeError as exc:  # unknown bell: already audited by press_bell
            log.warning("MQTT bell press on %s refused: %s", msg.topic, exc.key)
        except Exception:  # a bad message never stops the listener
            log.exception("bad MQTT bell press on %s", msg.topic)

    def handle(self, code: str, payload: bytes) -> Pressed | None:
        gateway = self._gateway(_token_of(payload))
        if gateway is None:
            return None
        return press_bell(self.ctx, gateway, code, PressVia.MQTT.value)

    def _gateway(self, raw: str) -> Principal | None:
        with self.ctx.transaction() as session:
            token = auth_service.find_token(session, self.ctx.clock, raw) if raw else None
            person = session.get(Person, token.person_id) if token else None
            if token is None or person is None or not person.active:
                return None
            settings = effective_auth(self.ctx.settings)
            return resolve_principal(session, token.person_id, self.ctx.clock, settings,
                                     kind="token")  # fmt: skip

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def _token_of(payload: bytes) -> str:
    text = payload.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text).get("token", "") if text.startswith("{") else ""
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""
