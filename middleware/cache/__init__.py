"""Remember: the bounded LRU with per-entry expiry, the decision tiers (local, shared, engine),
single flight for concurrent misses, and the memory of whole requests (warm path).

May import: ``decision``, ``claims``, ``clock`` and ``errors`` (and ``audit.record`` for the
fields a remembered request replays). The shared tier's implementation (Redis) is an adapter.
"""
