"""Record: one audit record per decision, its fields and JSON line, how records name the
subject, the ``[audit]`` table, and the JSON-lines file sink written by a thread.

May import: ``decision``, ``claims``, ``config.table`` and ``errors``. Vendor sinks (the
Redis Stream) are adapters, in ``jurisgate.adapters``.
"""
