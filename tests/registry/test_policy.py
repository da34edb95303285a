"""The published operation and management policy (PIPA-2): eight items, counts from the
registry, Korean and English, public page and CLI."""

from __future__ import annotations

from webclient import client_as

from gwanje.context import Gwanje
from gwanje.registry.lifecycle import Action
from gwanje.registry.models import CameraStatus
from gwanje.registry.policy import build_policy
from gwanje.registry.service import Registry, system_principal
from registry.helpers import departments, make_camera


def _city(ctx: Gwanje) -> None:
    depts = departments(ctx)
    make_camera(ctx, "P-1", depts["SAFETY"], CameraStatus.LINKED)
    make_camera(
        ctx, "P-2", depts["SAFETY"], CameraStatus.LINKED, purposes=["parking", "crime_prevention"]
    )
    make_camera(
        ctx,
        "P-3",
        depts["TRAFFIC"],
        CameraStatus.INSTALLED,
        district="여서동",
        purposes=["traffic_info"],
    )
    make_camera(ctx, "P-4", depts["SAFETY"], CameraStatus.PLANNED)  # not operating
    gone = make_camera(ctx, "P-5", depts["SAFETY"], CameraStatus.LINKED)
    with ctx.transaction() as session:
        Registry(session, ctx.settings, ctx.clock, system_principal("t")).transition(
            gone, Action.DECOMMISSION, "철거"
        )


def test_policy_counts_and_eight_items(any_ctx: Gwanje) -> None:
    _city(any_ctx)
    with any_ctx.transaction() as session:
        ko = build_policy(session, any_ctx.settings, any_ctx.clock.now(), "ko")
        en = build_policy(session, any_ctx.settings, any_ctx.clock.now(), "en")
    for doc in (ko, en):
        assert len(doc.sections) == 8
        assert doc.total == 3
        assert doc.by_purpose == {"crime_prevention": 2, "parking": 1, "traffic_info": 1}
        assert doc.by_district == {"여서동": 1, "중앙동": 2}
    assert "3대" in ko.sections[1].paragraphs[0]
    assert "3 video devices" in en.sections[1].paragraphs[0]
    assert "30일" in " ".join(ko.sections[3].paragraphs)
    assert "30 days" in " ".join(en.sections[3].paragraphs)
    assert ["방범", "2"] in ko.sections[0].rows
    assert ["crime prevention", "2"] in en.sections[0].rows


def test_policy_page_is_public_in_both_languages(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    _city(ctx)
    anonymous = client_as(app, None)
    ko = anonymous.get("/policy")
    assert ko.status_code == 200
    assert "운영·관리 방침" in ko.text
    assert "3대" in ko.text
    en = anonymous.get("/policy?lang=en")
    assert en.status_code == 200
    assert "3 video devices" in en.text
    assert en.text.count('data-testid="policy-section-') == 8
