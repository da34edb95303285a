"""The camera simulator fixtures of the media tests, for the console's live-view tests."""

from media.conftest import camsim, camsim_clips, camsim_server

__all__ = ["camsim", "camsim_clips", "camsim_server"]
