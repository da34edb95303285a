"""Protection of video information (영상정보 보호): access requests, grants, provision,
subjects' requests, ledgers and the self-inspection report (ORD Ch. 5, PIPA).

Knows the registry (cameras, their departments and links), retention (grants place legal
holds) and the audit ledger. Playback and export ask it one question: does this person
hold an active grant for this camera and time range (`grants.active_grant`)?
"""
