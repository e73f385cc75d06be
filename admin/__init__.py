"""The ``jurisgate`` command for security admins and its helpers: explain, test, lint, diff,
matrix, token mint, policy push.

May import the runtime packages (``jurisgate.middleware``) and ``jurisgate.adapters``; nothing
in the runtime imports this package.
"""

from .cli import main

__all__ = ["main"]
