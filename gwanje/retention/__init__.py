"""Retention (ORD-31.1) and legal holds: how long video is kept and what may never be purged.

The purge job deletes committed segments past their camera's retention that no active
legal hold overlaps, and nothing else; each purge writes a destruction (파기) entry
(PIPA-5). Deleting files follows the media storage's delete procedure.
"""
