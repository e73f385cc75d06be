"""Deny rows carved out of an allow subtree: the shape a generic gate cannot make safe.

The gate decides on the path as the server decoded it. An app that decodes paths its own way
routes other spellings to the same resource (Datasette routes on ``raw_path`` and decodes its
own ``~XX`` escapes: ``/faces/~73ecrets.json`` is ``/faces/secrets.json``), so a deny of one
path inside an allowed ``/faces/*`` is passed by a spelling the deny does not match. An
allow-list of exact paths fails closed instead: an unexpected spelling matches no allow.
"""

from __future__ import annotations

from collections.abc import Sequence

from jurisgate.middleware.claims.principal import ANONYMOUS
from jurisgate.middleware.decision.matchers import alternatives
from jurisgate.middleware.decision.values import Rule

from .lint_coverage import Finding

__all__ = ["carved_denies"]


def carved_denies(rules: Sequence[Rule], now: float) -> list[Finding]:
    """A finding for each deny rule that denies a narrower path inside the subtree of an
    allow rule that serves some of the same requests from ``now`` on."""
    subtrees = [rule for rule in rules if rule.effect == "allow" and _is_subtree(rule.path)]
    found: list[Finding] = []
    for deny in rules:
        if deny.effect != "deny":
            continue
        for allow in subtrees:
            if _inside(deny.path, allow.path) and _overlap(deny, allow, now):
                found.append(Finding(deny.source, deny.id, "carved_deny", _message(deny, allow)))
                break
    return found


def _is_subtree(path: str) -> bool:
    return path == "*" or path.endswith("/*")


def _inside(narrow: str, subtree: str) -> bool:
    """Every path ``narrow`` matches is in ``subtree``, and ``subtree`` matches more."""
    if narrow in ("*", subtree):
        return False
    if subtree == "*":
        return True
    base = subtree[:-2]
    inner = narrow[:-2] if narrow.endswith("/*") else narrow
    return inner == base or inner.startswith(base + "/")


def _overlap(deny: Rule, allow: Rule, now: float) -> bool:
    """Some request, at some instant from ``now`` on, matches both rules."""
    if max(deny.start, allow.start, now) >= min(deny.end, allow.end):
        return False
    pairs = zip(deny.client_patterns(), allow.client_patterns(), strict=True)
    return _sets_meet(deny.methods, allow.methods) and all(
        _sets_meet(a, b) for (_, a), (_, b) in pairs
    )


def _sets_meet(a: str, b: str) -> bool:
    if a == "*" or b == "*":
        other = b if a == "*" else a
        return other == "*" or any(value != ANONYMOUS for value in alternatives(other))
    return not alternatives(a).isdisjoint(alternatives(b))


def _message(deny: Rule, allow: Rule) -> str:
    return (
        f"denies {deny.path} inside {allow.path}, allowed by rule {allow.id!r}: an app that "
        "decodes paths its own way (Datasette's ~XX escapes) serves it under spellings the "
        "deny does not match; allow exact paths instead (admin guide, section 5)"
    )
