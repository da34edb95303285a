"""Gwanje (관제): a city's CCTV integrated control center, run under the ordinance.

Subsystems live in their own folders (registry, people, auth, audit, web, cli ...);
see ARCHITECTURE.md for how they fit together.
"""

__version__ = "0.1.0"
