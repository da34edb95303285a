"""Camera health and maintenance (ORD-11, ORD-12): image checks on each camera's sub
stream (a supervised worker fed by the recorder's live tap), maintenance tickets to the
camera's contractor with an SLA, equipment age and end of life, Prometheus metrics and
the health dashboard. Design: docs/design/camera-health.md."""
