"""Analytics (영상분석): the offline detectors that look at decoded frames.

Owns: the `Detector` interface (`detection.py`) and its implementations (`faces.py`).
Invariants: nothing is downloaded at run time, ever: a detector's model comes from an
installed registry package or is shipped in this repository; a detector that cannot load
its model says so (`DetectorUnavailable`) instead of silently detecting nothing.
Person and vehicle detectors are not here: no registry package ships weights we may
use (`docs/design/masking.md`, "Persons").
"""
