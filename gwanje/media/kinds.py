"""The closed vocabularies of the recording index (stream, segment state, gap cause,
health), free of any database import so capture workers can use them cheaply."""

from __future__ import annotations

from enum import StrEnum


class StreamKind(StrEnum):
    MAIN = "main"
    SUB = "sub"


class SegmentState(StrEnum):
    COMMITTED = "committed"
    DELETING = "deleting"


class GapCause(StrEnum):
    """Why a stretch of a camera's timeline has no video."""

    CAMERA_OFFLINE = "camera_offline"  # connection refused or lost, camera did not answer
    NETWORK = "network"  # read timed out mid-stream (stall)
    RECORDER_RESTART = "recorder_restart"  # the recorder was stopped or killed
    CORRUPT_INPUT = "corrupt_input"  # the stream could not be parsed
    DISK_FULL = "disk_full"  # no space, or writing/fsync failed
    IO_ERROR = "io_error"
    MISSING = "missing"  # `gwanje check --repair` found the file gone


class HealthState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    VIDEO_LOSS = "video_loss"  # connected, but no frames arrive
    NO_KEYFRAMES = "no_keyframes"  # frames arrive but no keyframe within the limit
    # Image checks (gwanje/camhealth, channel "image"; the same values as ImageState).
    IMAGE_OK = "image_ok"
    BLACK = "black"
    COVERED = "covered"
    FROZEN = "frozen"
    DEFOCUSED = "defocused"
    SCENE_CHANGED = "scene_changed"
