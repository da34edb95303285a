"""Schema of the camera registry (filled by the registry subsystem)."""
