"""Masking of third parties (제3자 마스킹) in a clip released to a data subject (ORD: issue 5).

Owns the engine the data-subject request workflow and the review page use:

    mask_plan = plan(source, YuFaceDetector())        # faces found and tracked
    mask_plan.remove("a2")                            # the subject's own face stays visible
    mask_plan.add_manual([(40, Box(...)), (90, Box(...))], first=40, last=90)
    keys = follow_box(source, frame=10, box=Box(...), last=60)   # or let it follow
    thumbnails = preview(mask_plan, source, [0, 40, 90])         # JPEG bytes for review
    report = apply(mask_plan, source, dest)           # H.264, video only, new file

Invariants (details in each module and `docs/design/masking.md`): the original footage
is only read; the output is a new file, written whole or not at all; a plan applies only
to the exact file it was made for (SHA-256); the plan is plain JSON and its digest is
what the audit trail records; masking is pixelation, irreversible in the output.
"""

from gwanje.media.masking.engine import MaskReport, apply, plan
from gwanje.media.masking.errors import BadPlan, BadSource, PlanMismatch, UnsafeDestination
from gwanje.media.masking.follow import follow_box
from gwanje.media.masking.model import Box, MaskPlan, Origin, SourceInfo, Track
from gwanje.media.masking.preview import preview

__all__ = [
    "BadPlan", "BadSource", "Box", "MaskPlan", "MaskReport", "Origin", "PlanMismatch",
    "SourceInfo", "Track", "UnsafeDestination", "apply", "follow_box", "plan", "preview",
]  # fmt: skip
