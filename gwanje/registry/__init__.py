"""The camera registry (ORD-2.7, 3, 6-9, 15, 16.2; PIPA-1, PIPA-2)."""
