"""Decide: the Decision and Rule values, policy rows read from files into a PolicySource, the
rules validated, the matcher functions, the compiled matcher and the PolicyEngine, and the
offline decision the admin tools share with the gate.

May import: ``claims``, ``clock`` and ``errors``. Nothing here reads tokens, caches or config.
"""
