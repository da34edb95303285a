"""Sharing live video with agencies and other centers (ORD-14.2, 17, 21, 23, 24).

Time-limited scoped shares with a burned-in watermark, the signed federation API between
Gwanje centers, and cameras operated under delegated authority (docs/design/sharing.md).
"""
