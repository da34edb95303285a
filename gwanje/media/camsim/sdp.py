"""Session descriptions (RFC 4566) for a camera stream: H.264 video and AAC audio.

Owns: `describe`, and the track ids and payload types that SETUP URLs refer to.
Invariants: track 0 is video (PT 96, RFC 6184 §8.1 parameters with packetization-mode=1,
profile-level-id and sprop-parameter-sets from the clip's own SPS/PPS), track 1 is audio
(PT 97, RFC 3640 §4.1 MPEG4-GENERIC AAC-hbr with config=); control URLs are relative to
the Content-Base the DESCRIBE response sends, `trackID=<n>`.
"""

from __future__ import annotations

import base64

from gwanje.media.camsim.clips import AudioClip, VideoClip

VIDEO_TRACK = 0
AUDIO_TRACK = 1
VIDEO_PT = 96
AUDIO_PT = 97
VIDEO_CLOCK = 90_000  # RFC 6184 §8.1: the H.264 RTP clock is 90 kHz


def describe(
    session_name: str,
    session_id: int,
    host: str,
    video: VideoClip,
    audio: AudioClip,
    fps: int,
    video_bitrate: int,
    audio_bitrate: int,
) -> str:
    sprop = ",".join(base64.b64encode(n).decode() for n in (video.sps, video.pps))
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {host}",
        f"s={session_name}",
        "i=Gwanje camera simulator (looped synthetic clip)",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=control:*",
        "a=range:npt=now-",
        "m=video 0 RTP/AVP 96",
        f"b=AS:{video_bitrate // 1000}",
        f"a=rtpmap:{VIDEO_PT} H264/{VIDEO_CLOCK}",
        f"a=fmtp:{VIDEO_PT} packetization-mode=1;profile-level-id={video.profile_level_id};"
        f"sprop-parameter-sets={sprop}",
        f"a=framerate:{fps}",
        f"a=x-dimensions:{video.width},{video.height}",
        f"a=control:trackID={VIDEO_TRACK}",
        "m=audio 0 RTP/AVP 97",
        f"b=AS:{max(1, audio_bitrate // 1000)}",
        f"a=rtpmap:{AUDIO_PT} MPEG4-GENERIC/{audio.rate}/{audio.channels}",
        f"a=fmtp:{AUDIO_PT} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;"
        f"indexlength=3;indexdeltalength=3;config={audio.config}",
        f"a=control:trackID={AUDIO_TRACK}",
    ]
    return "\r\n".join(lines) + "\r\n"
