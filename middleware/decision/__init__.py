"""Decide: the Decision and Rule values, policy rows read from files into a PolicySource, the
rules validated, the matcher functions, the compiled matcher and the PolicyEngine. The
decision sequence of a request (public paths first, then the client) is ``middleware/decide.py``,
shared by the gate and the admin tools (``middleware/offline.py``).

May import: ``claims``, ``clock`` and ``errors``. Nothing here reads tokens, caches or config.
"""
