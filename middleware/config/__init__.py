"""Configure and reload: jurisgate.toml read strictly into a GateConfig (its tables, issuers,
the ``[requests]`` limits), the policy files resolved and checked against their published
manifest, the policy store interface, and the reloader (with its self-restarting tasks) that
swaps in a new engine when the policy changes validly.

May import: ``token``, ``claims``, ``decision``, ``audit``, ``errors``. Concrete stores and
announcers (PostgreSQL, Redis) are adapters.
"""
