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
    # Per-permission department scope (None = all departments), for holders of several
    # roles with different scopes; see gwanje.people.access for the union rule. A
    # permission missing here falls back to `department_scope`.
    permission_scopes: tuple[tuple[Permission, frozenset[int] | None], ...] = ()
    # Why video permissions were withheld (i18n keys), for the profile page.
    video_blocked: tuple[str, ...] = ()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_touch_camera(self, camera_id: int, department_id: int | None) -> bool:
        """Scope check for one camera (ORD-30.1: the minimum number of people)."""
        if self.camera_scope is not None and camera_id not in self.camera_scope:
            return False
        if self.department_scope is None:
            return True
        return department_id is not None and department_id in self.department_scope

    def scope_for(self, permission: Permission) -> frozenset[int] | None:
        """The departments whose cameras `permission` applies to (None: all)."""
        for granted, scope in self.permission_scopes:
            if granted == permission:
                return scope
        return self.department_scope

    def may_use_on_camera(
        self, permission: Permission, camera_id: int, department_id: int | None
    ) -> bool:
        """Holds `permission` for this very camera (per-permission scope, ORD-30.1)."""
        if not self.can(permission):
            return False
        if self.camera_scope is not None and camera_id not in self.camera_scope:
            return False
        scope = self.scope_for(permission)
        return scope is None or (department_id is not None and department_id in scope)

    @property
    def actor(self) -> Actor:
        return Actor(person_id=self.person_id, username=self.username, kind=self.kind)
