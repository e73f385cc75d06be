"""Record: one audit record per answer (written as the answer starts, saying what was sent:
``answer.py``), its fields, their size limits and JSON line, how records name the subject, the
``[audit]`` table, and the JSON-lines file sink written by a thread.

May import: ``decision``, ``claims``, ``config.table`` and ``errors``. Vendor sinks (the
Redis Stream) are adapters, in ``jurisgate.adapters``.
"""
