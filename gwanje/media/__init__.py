"""Video core: simulated cameras (camsim), continuous recording, storage and its index.

Sub-packages know only what they need: `camsim` speaks RTSP and knows nothing of the
database; the recorder's capture workers write files and report to the supervisor, which
alone writes the index (docs/design/recording.md).
"""
