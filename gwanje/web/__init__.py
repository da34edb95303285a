"""The web shell: FastAPI app, HTML pages (Jinja, ko/en) and the JSON API.

Deny by default: every route declares `requires(Permission.X)` or `public()`; a test
fails on a route that declares neither, and docs/routes.md is kept current by a test.
"""
