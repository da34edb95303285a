"""Authentication and authorisation: who is asking, and what they may do.

Deny by default: a principal holds only the permissions its roles grant, scoped to
departments and cameras; routes declare the permission they need.
"""
