"""The operations of the simulated ONVIF device: Device, Media and PTZ.

Owns: one function per operation, `OPERATIONS` (service -> operation -> function).
Each returns the serialized response element; bad arguments raise `SoapFault` with
ONVIF's subcodes (ter:NoProfile, ter:NoToken, ter:InvalidPosition ...).
Invariants: profiles are `main` and `sub` (both carry the one PTZ configuration `ptz`);
positions in requests are clamped to the generic spaces, as a real device clamps; the
stream URI is the simulator's RTSP URL of that camera and stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from gwanje.media.camsim.onvif.soap import NS, SoapFault, child, invalid_arg, text
from gwanje.media.camsim.ptz import PtzHead, Vector

if TYPE_CHECKING:
    from gwanje.media.camsim.server import CamsimServer
    from gwanje.media.camsim.state import Camera

PROFILES = ("main", "sub")
PTZ_TOKEN = "ptz"  # noqa: S105 - an ONVIF configuration token, not a secret
NODE_TOKEN = "ptz-node"  # noqa: S105
SPACE = "http://www.onvif.org/ver10/tptz"
PT_ABS = f"{SPACE}/PanTiltSpaces/PositionGenericSpace"
Z_ABS = f"{SPACE}/ZoomSpaces/PositionGenericSpace"
PT_REL = f"{SPACE}/PanTiltSpaces/TranslationGenericSpace"
Z_REL = f"{SPACE}/ZoomSpaces/TranslationGenericSpace"
PT_VEL = f"{SPACE}/PanTiltSpaces/VelocityGenericSpace"
Z_VEL = f"{SPACE}/ZoomSpaces/VelocityGenericSpace"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class Device:
    server: CamsimServer
    camera: Camera
    base: str  # http://host:port/onvif

    @property
    def head(self) -> PtzHead:
        assert self.camera.ptz is not None
        return self.camera.ptz.head

    def now(self) -> float:
        return self.server.now()


Op = Callable[[Device, etree._Element], str]


# -- Device service ----------------------------------------------------------------------


def get_system_date_and_time(dev: Device, req: etree._Element) -> str:
    now = datetime.now(UTC)
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
        f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
        f"<tt:Day>{now.day}</tt:Day></tt:Date>"
        "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def get_device_information(dev: Device, req: etree._Element) -> str:
    return (
        "<tds:GetDeviceInformationResponse><tds:Manufacturer>Gwanje</tds:Manufacturer>"
        "<tds:Model>camsim-ptz</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
        f"<tds:SerialNumber>CAMSIM-{dev.camera.index:05d}</tds:SerialNumber>"
        "<tds:HardwareId>camsim</tds:HardwareId></tds:GetDeviceInformationResponse>"
    )


def _services(dev: Device) -> list[tuple[str, str, str]]:
    """(prefix, namespace, XAddr) of each service."""
    return [
        ("tds", NS["tds"], f"{dev.base}/device_service"),
        ("trt", NS["trt"], f"{dev.base}/media_service"),
        ("tptz", NS["tptz"], f"{dev.base}/ptz_service"),
    ]


def get_services(dev: Device, req: etree._Element) -> str:
    items = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr>"
        "<tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version></tds:Service>"
        for _, ns, xaddr in _services(dev)
    )
    return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"


def get_capabilities(dev: Device, req: etree._Element) -> str:
    device, media, ptz = (x for _, _, x in _services(dev))
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        f"<tt:Device><tt:XAddr>{device}</tt:XAddr></tt:Device>"
        f"<tt:Media><tt:XAddr>{media}</tt:XAddr><tt:StreamingCapabilities>"
        "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
        "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
        f"<tt:PTZ><tt:XAddr>{ptz}</tt:XAddr></tt:PTZ>"
        "</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


# -- Media service ------------------------------------------------------------------------


def _profile(req: etree._Element) -> str:
    token = text(req, "ProfileToken")
    if token not in PROFILES:
        raise invalid_arg("NoProfile", f"no profile {token!r}")
    return token


def _ptz_configuration(tag: str = "tt:PTZConfiguration") -> str:
    return (
        f'<{tag} token="{PTZ_TOKEN}"><tt:Name>PTZ</tt:Name>'
        f"<tt:UseCount>2</tt:UseCount><tt:NodeToken>{NODE_TOKEN}</tt:NodeToken>"
        f"<tt:DefaultAbsolutePantTiltPositionSpace>{PT_ABS}</tt:DefaultAbsolutePantTiltPositionSpace>"
        f"<tt:DefaultAbsoluteZoomPositionSpace>{Z_ABS}</tt:DefaultAbsoluteZoomPositionSpace>"
        f"<tt:DefaultRelativePanTiltTranslationSpace>{PT_REL}</tt:DefaultRelativePanTiltTranslationSpace>"
        f"<tt:DefaultRelativeZoomTranslationSpace>{Z_REL}</tt:DefaultRelativeZoomTranslationSpace>"
        f"<tt:DefaultContinuousPanTiltVelocitySpace>{PT_VEL}</tt:DefaultContinuousPanTiltVelocitySpace>"
        f"<tt:DefaultContinuousZoomVelocitySpace>{Z_VEL}</tt:DefaultContinuousZoomVelocitySpace>"
        f"<tt:DefaultPTZTimeout>PT10S</tt:DefaultPTZTimeout></{tag}>"
    )


def get_profiles(dev: Device, req: etree._Element) -> str:
    assert dev.camera.ptz is not None
    items = ""
    for name in PROFILES:
        clip = dev.camera.media.video(name).clip  # type: ignore[arg-type]
        items += (
            f'<trt:Profiles token="{name}" fixed="true"><tt:Name>{name}</tt:Name>'
            f'<tt:VideoEncoderConfiguration token="enc-{name}"><tt:Name>{name}</tt:Name>'
            "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution>"
            f"<tt:Width>{clip.width}</tt:Width><tt:Height>{clip.height}</tt:Height>"
            "</tt:Resolution><tt:Quality>5</tt:Quality><tt:SessionTimeout>PT60S"
            "</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            f"{_ptz_configuration()}</trt:Profiles>"
        )
    return f"<trt:GetProfilesResponse>{items}</trt:GetProfilesResponse>"


def get_stream_uri(dev: Device, req: etree._Element) -> str:
    profile = _profile(req)
    uri = dev.server.url(dev.camera.index, "main" if profile == "main" else "sub")
    return (
        "<trt:GetStreamUriResponse><trt:MediaUri>"
        f"<tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
        "</trt:MediaUri></trt:GetStreamUriResponse>"
    )


# -- PTZ service ---------------------------------------------------------------------------


def get_configurations(dev: Device, req: etree._Element) -> str:
    configuration = _ptz_configuration("tptz:PTZConfiguration")
    return f"<tptz:GetConfigurationsResponse>{configuration}</tptz:GetConfigurationsResponse>"


def _vector_xml(tag: str, v: Vector) -> str:
    return (
        f'<{tag}><tt:PanTilt x="{v.pan:.6f}" y="{v.tilt:.6f}" space="{PT_ABS}"/>'
        f'<tt:Zoom x="{v.zoom:.6f}" space="{Z_ABS}"/></{tag}>'
    )


def get_status(dev: Device, req: etree._Element) -> str:
    _profile(req)
    now = dev.now()
    state = "MOVING" if dev.head.moving(now) else "IDLE"
    utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        "<tptz:GetStatusResponse><tptz:PTZStatus>"
        f"{_vector_xml('tt:Position', dev.head.at(now))}"
        f"<tt:MoveStatus><tt:PanTilt>{state}</tt:PanTilt><tt:Zoom>{state}</tt:Zoom></tt:MoveStatus>"
        f"<tt:UtcTime>{utc}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>"
    )


def _vector(node: etree._Element | None, name: str, base: Vector) -> Vector:
    """PanTilt x/y and Zoom x of a PTZVector/PTZSpeed element; missing parts from `base`."""
    if node is None:
        raise invalid_arg("InvalidPosition", f"{name} is missing")
    pan, tilt, zoom = base.pan, base.tilt, base.zoom
    try:
        pt = child(node, "PanTilt")
        if pt is not None:
            pan, tilt = float(pt.get("x", "")), float(pt.get("y", ""))
        z = child(node, "Zoom")
        if z is not None:
            zoom = float(z.get("x", ""))
    except ValueError:
        raise invalid_arg("InvalidPosition", f"{name}: not a number") from None
    return Vector(pan, tilt, zoom)


def absolute_move(dev: Device, req: etree._Element) -> str:
    _profile(req)
    now = dev.now()
    dev.head.absolute(now, _vector(child(req, "Position"), "Position", dev.head.at(now)))
    return "<tptz:AbsoluteMoveResponse/>"


def relative_move(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.relative(dev.now(), _vector(child(req, "Translation"), "Translation", Vector()))
    return "<tptz:RelativeMoveResponse/>"


def continuous_move(dev: Device, req: etree._Element) -> str:
    _profile(req)
    velocity = _vector(child(req, "Velocity"), "Velocity", Vector())
    raw = text(req, "Timeout")
    dev.head.continuous(dev.now(), velocity, None if raw is None else _seconds(raw))
    return "<tptz:ContinuousMoveResponse/>"


def _seconds(value: str) -> float:
    match = _DURATION.match(value)
    if match is None:
        raise invalid_arg("InvalidArgVal", f"Timeout {value!r} is not an xs:duration")
    days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + secs


def stop(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.stop(dev.now())
    return "<tptz:StopResponse/>"


def get_presets(dev: Device, req: etree._Element) -> str:
    _profile(req)
    items = "".join(
        f"<tptz:Preset token={quoteattr(token)}><tt:Name>{escape(name)}</tt:Name>"
        f"{_vector_xml('tt:PTZPosition', pos)}</tptz:Preset>"
        for token, (name, pos) in dev.head.presets.items()
    )
    return f"<tptz:GetPresetsResponse>{items}</tptz:GetPresetsResponse>"


def _preset_token(dev: Device, req: etree._Element) -> str:
    token = text(req, "PresetToken")
    if token is None or token not in dev.head.presets:
        raise invalid_arg("NoToken", f"no preset {token!r}")
    return token


def set_preset(dev: Device, req: etree._Element) -> str:
    _profile(req)
    token = text(req, "PresetToken")
    if token is not None and token not in dev.head.presets:
        raise invalid_arg("NoToken", f"no preset {token!r}")
    try:
        token = dev.head.set_preset(dev.now(), text(req, "PresetName") or "", token)
    except ValueError:
        raise SoapFault("Receiver", "ter:Action", "ter:TooManyPresets") from None
    return (
        f"<tptz:SetPresetResponse><tptz:PresetToken>{escape(token)}</tptz:PresetToken>"
        "</tptz:SetPresetResponse>"
    )


def goto_preset(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.goto_preset(dev.now(), _preset_token(dev, req))
    return "<tptz:GotoPresetResponse/>"


def remove_preset(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.remove_preset(_preset_token(dev, req))
    return "<tptz:RemovePresetResponse/>"


def goto_home_position(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.absolute(dev.now(), dev.head.home)
    return "<tptz:GotoHomePositionResponse/>"


def set_home_position(dev: Device, req: etree._Element) -> str:
    _profile(req)
    dev.head.home = dev.head.at(dev.now())
    return "<tptz:SetHomePositionResponse/>"


OPERATIONS: dict[str, dict[str, Op]] = {
    "device": {
        "GetSystemDateAndTime": get_system_date_and_time,
        "GetDeviceInformation": get_device_information,
        "GetServices": get_services,
        "GetCapabilities": get_capabilities,
    },
    "media": {"GetProfiles": get_profiles, "GetStreamUri": get_stream_uri},
    "ptz": {
        "GetConfigurations": get_configurations,
        "GetStatus": get_status,
        "AbsoluteMove": absolute_move,
        "RelativeMove": relative_move,
        "ContinuousMove": continuous_move,
        "Stop": stop,
        "GetPresets": get_presets,
        "SetPreset": set_preset,
        "GotoPreset": goto_preset,
        "RemovePreset": remove_preset,
        "GotoHomePosition": goto_home_position,
        "SetHomePosition": set_home_position,
    },
}
# ONVIF Core §5.9.4.1: these may be asked before authentication.
UNAUTHENTICATED = frozenset({"GetSystemDateAndTime"})
