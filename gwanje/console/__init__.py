"""The operator console (관제 화면): live video wall, and later playback and export.

Knows the registry (which cameras exist, whose they are, their masks), the recorder's
live sockets (`gwanje.media.live`) and the audit ledger; the recorder knows nothing of it.
"""
