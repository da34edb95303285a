"""The principal: who is asking, with what permissions, over which cameras.

A principal is resolved per request (session cookie or API token) by the auth
subsystem and is immutable for that request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gwanje.audit.events import Actor
from gwanje.auth.permissions import Permission, Role


@dataclass(frozen=True)
class Principal:
    person_id: int | None
    username: str
    display_name: str
    roles: frozenset[Role]
    permissions: frozenset[Permission]
    # None: all departments. Otherwise only cameras owned by these departments.
    department_scope: frozenset[int] | None = None
    # None: no per-camera restriction. Otherwise only these cameras.
    camera_scope: frozenset[int] | None = None
    kind: str = "person"  # person | token
    language: str = "ko"
    session_id: str | None = field(default=None, compare=False)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_touch_camera(self, camera_id: int, department_id: int | None) -> bool:
        """Scope check for one camera (ORD-30.1: the minimum number of people)."""
        if self.camera_scope is not None and camera_id not in self.camera_scope:
            return False
        if self.department_scope is None:
            return True
        return department_id is not None and department_id in self.department_scope

    @property
    def actor(self) -> Actor:
        return Actor(person_id=self.person_id, username=self.username, kind=self.kind)
