"""Notifications: a database outbox, the channels that deliver it (webhook, MQTT, email,
SMS gateway), the dispatcher that sends, retries and escalates, and acknowledgement.
Design: docs/design/incidents.md."""
