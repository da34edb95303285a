"""Fixtures of the masking tests: one seeded clip, its automatic plan and its masked copy,
made once per session (real x264 encodes and real detection; about 5 s of CPU)."""

from __future__ import annotations

import pytest
from seeded_clip import Clip, make_clip

from gwanje.analytics.faces import YuFaceDetector
from gwanje.media.masking import MaskPlan, MaskReport, apply, plan


@pytest.fixture(scope="session")
def detector() -> YuFaceDetector:
    return YuFaceDetector()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return make_clip(tmp_path_factory.mktemp("seeded") / "street.mp4")


@pytest.fixture(scope="session")
def auto_plan(clip: Clip, detector: YuFaceDetector) -> MaskPlan:
    return plan(clip.path, detector)


@pytest.fixture(scope="session")
def masked(clip: Clip, auto_plan: MaskPlan, tmp_path_factory: pytest.TempPathFactory) -> MaskReport:
    return apply(auto_plan, clip.path, tmp_path_factory.mktemp("out") / "masked.mp4")


@pytest.fixture
def fresh_plan(auto_plan: MaskPlan) -> MaskPlan:
    """A copy of the automatic plan a test may edit."""
    return MaskPlan.from_json(auto_plan.to_json())
