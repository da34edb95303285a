"""PTZ bound to purpose (ORD-10.1, PIPA-7): camera PTZ configuration, purpose presets and
the allowed area, the policy every PTZ command passes, the ONVIF client, idle return
home, and auto-tracking rules. Design: docs/design/ptz.md."""
