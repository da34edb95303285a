"""Settings of the ledgers: the official form codes printed on their PDFs.

The ordinance names 별지 제2호서식 for both the visitor ledger (Art. 22) and the personal
video information management ledger (Art. 33); other cities number the second one
별지 제3호서식 (REQUIREMENTS.md, reading notes). Both codes are settings.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LedgerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    management_form_code: str = Field(
        "[별지 제3호서식]", max_length=64,
        description="Form code printed on the personal video information management ledger "
        "(개인영상정보 관리대장, ORD-33) PDF.",
    )  # fmt: skip
    visitor_form_code: str = Field(
        "[별지 제2호서식]", max_length=64,
        description="Form code printed on the visitor ledger (출입자 관리대장, ORD-22.2) PDF.",
    )  # fmt: skip
    issuer: str = Field(
        "여수시 CCTV 통합관제센터", max_length=128,
        description="Issuer named on every ledger page (the center).",
    )  # fmt: skip
