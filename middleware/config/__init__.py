"""Configure and reload: jurisgate.toml read strictly into a GateConfig (its tables, issuers),
the policy files resolved, the policy store interface, and the reloader that swaps in a new
engine when the policy changes validly.

May import: ``token``, ``claims``, ``decision``, ``audit``, ``errors``. Concrete stores and
announcers (PostgreSQL, Redis) are adapters.
"""
