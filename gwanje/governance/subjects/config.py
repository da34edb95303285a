"""Settings of data-subject requests (`governance.subjects`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

APPEAL_KO = (
    "이 결정에 이의가 있으면 처분이 있음을 안 날부터 90일 이내에 「행정심판법」에 따른 "
    "행정심판 또는 「행정소송법」에 따른 행정소송을 제기할 수 있으며, 개인정보침해 "
    "신고센터(국번 없이 118)에 신고하거나 개인정보 분쟁조정위원회(1833-6972)에 조정을 "
    "신청할 수 있습니다."
)


class SubjectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision_days: int = Field(
        10, ge=1, le=30,
        description="PIPA-4: days after the day of receipt within which a request is "
        "decided (granted, postponed or refused) and the subject told.",
    )  # fmt: skip
    postpone_max_days: int = Field(
        30, ge=1, le=90, description="How far ahead a postponement may set the new due date."
    )
    form1_code: str = Field(
        "[별지 제1호서식]", max_length=64,
        description="ORD-29.4: the form code printed on the request form (form 1).",
    )  # fmt: skip
    notice_form_code: str = Field(
        "", max_length=64,
        description="Form code printed on the result notice (결과 통지서); empty: none.",
    )  # fmt: skip
    appeal_text: str = Field(
        APPEAL_KO, min_length=1, max_length=2000,
        description="ORD-29.3: how to appeal, prefilled in refusals and printed on notices.",
    )  # fmt: skip
    public_submissions_per_hour: int = Field(
        5, ge=1, le=1000, description="Public form submissions accepted per address per hour."
    )
    public_lookups_per_hour: int = Field(
        20, ge=1, le=1000,
        description="Failed status look-ups allowed per client address per hour.",
    )  # fmt: skip
    hold_review_days: int = Field(
        30, ge=1, le=365, description="When a granted request's legal hold is to be reviewed."
    )
    masking_stride: int = Field(
        2, ge=1, le=25,
        description="Faces are detected on every n-th frame of a clip to mask (the tracker "
        "covers the frames between); 1 is slowest and most thorough.",
    )  # fmt: skip
    masking_fee_won_per_minute: int = Field(
        0, ge=0, le=1_000_000,
        description="PIPA-4: the masking cost charged to the subject, per started minute of "
        "masked video (0: free).",
    )  # fmt: skip
    masking_stream: str = Field(
        "main", pattern="^(main|sub)$", description="Which recorded stream is masked."
    )
