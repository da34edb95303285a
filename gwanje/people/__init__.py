"""People, departments, posts and the roles that follow posts (ORD-4, ORD-5, ORD-14.4, ORD-25)."""
