"""Decide: ask Casbin whether a normalized client may do this request at this instant.

An engine is immutable: it is built from one PolicySource and answers for that version only.
Reloading a policy builds a new engine and swaps the reference, so a request in flight always
finishes on the version it started with.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import casbin

from ..claims.principal import ANONYMOUS
from ..errors import PolicyError
from ..third_party import translate
from .compiled import CompiledPolicy, is_standard_matcher
from .matchers import active, path_match, regex_full_match, set_match
from .policy_source import PolicySource
from .rules import parse_rules
from .values import Decision, Rule, refusal

__all__ = ["REQUEST_FIELDS", "PolicyEngine", "RuleTrace"]

# What the policy can see of a request, in the model's request_definition order.
REQUEST_FIELDS: Final = ("entity", "country", "region", "path", "method", "at")
# The only effect jurisgate enforces: deny overrides allow, and nothing allowed is denied. A model
# with another effect would let an allow outvote a legal deny, so it is refused at load time.
DENY_OVERRIDES: Final = "some(where (p_eft == allow)) && !some(where (p_eft == deny))"


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule as considered for one request: did it match, and if not, which field did not."""

    rule: Rule
    matched: bool
    mismatch: str | None


class PolicyEngine:
    def __init__(self, source: PolicySource) -> None:
        model = _new_model(source.model_text)
        request = [token.removeprefix("r_") for token in model["r"]["r"].tokens]
        if tuple(request) != REQUEST_FIELDS:
            raise PolicyError(
                f"{source.model_origin}: request_definition must be "
                f"'r = {', '.join(REQUEST_FIELDS)}', found 'r = {', '.join(request)}'"
            )
        effect = model["e"]["e"].value
        if effect != DENY_OVERRIDES:
            raise PolicyError(
                f"{source.model_origin}: policy_effect must be "
                "'e = some(where (p.eft == allow)) && !some(where (p.eft == deny))'"
            )
        fields = [token.removeprefix("p_") for token in model["p"]["p"].tokens]
        self.rules: tuple[Rule, ...] = parse_rules(source.rows, fields)
        for row in source.rows:
            assertion = model.model.get(row.ptype[:1], {}).get(row.ptype)
            if assertion is None:
                raise PolicyError(f"{row.source}: policy type {row.ptype!r} is not in the model")
            assertion.policy.append(list(row.values))

        enforcer = _new_enforcer(model)
        enforcer.add_function("setMatch", set_match)
        enforcer.add_function("pathMatch", path_match)
        enforcer.add_function("active", active)
        enforcer.add_function("regexMatch", regex_full_match)  # Casbin's is unanchored at the end
        self._enforcer = enforcer
        try:  # compile and run the matcher once, so a broken one fails the load, not a request
            enforcer.enforce_ex(ANONYMOUS, "", "", "/", "GET", 0.0)
        except Exception as exc:
            message = f"{source.model_origin}: the matcher cannot be evaluated: {exc}"
            raise translate(exc, PolicyError, message) from exc
        self._id_index = fields.index("id")
        self._by_id = {rule.id: rule for rule in self.rules}
        # The bundled matcher is evaluated directly (see compiled.py); any other goes to Casbin.
        bounds = {b for rule in self.rules for b in (rule.start, rule.end) if math.isfinite(b)}
        self.boundaries: tuple[float, ...] = tuple(sorted(bounds))
        self.compiled: CompiledPolicy | None = (
            CompiledPolicy(self.rules, self.boundaries)
            if is_standard_matcher(model["m"]["m"].value)
            else None
        )
        self.version: str = source.version
        self.source = source

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def valid_until(self, at: float) -> float:
        """The next instant after ``at`` at which any rule starts or ends."""
        return self.span(at)[1]

    def span(self, at: float) -> tuple[float, float]:
        """The instants around ``at`` between which no rule starts or ends: [from, until)."""
        bounds = self.boundaries
        index = bisect.bisect_right(bounds, at)
        return (
            bounds[index - 1] if index > 0 else -math.inf,
            bounds[index] if index < len(bounds) else math.inf,
        )

    def decide(
        self, entity: str, country: str, region: str, method: str, path: str, at: float
    ) -> Decision:
        """Deny overrides allow; nothing allowed is denied. Raises PolicyError, never allows."""
        compiled = self.compiled
        if compiled is not None:
            allowed, rule = compiled.decide(entity, country, region, path, method, at)
        else:
            allowed, rule = self.casbin_decide(entity, country, region, method, path, at)
        since, until = self.span(at)
        if allowed is True and rule is not None and rule.effect == "allow":
            return Decision("allow", 200, rule.id, rule.citation, self.version, until, since)
        if rule is not None and rule.effect == "deny":
            status = 451 if rule.citation is not None else 403
            return Decision("deny", status, rule.id, rule.citation, self.version, until, since)
        return refusal(self.version, until, since)  # no rule allows: default deny

    def casbin_decide(
        self, entity: str, country: str, region: str, method: str, path: str, at: float
    ) -> tuple[bool, Rule | None]:
        """Casbin's own answer: whether it allows, and the rule its enforce_ex names."""
        try:
            allowed, explain = self._enforcer.enforce_ex(entity, country, region, path, method, at)
        except Exception as exc:  # Casbin raises bare RuntimeError/SyntaxError and evaluator errors
            message = f"policy evaluation failed: {type(exc).__name__}"
            raise translate(exc, PolicyError, message) from exc
        return allowed is True, self._by_id.get(explain[self._id_index]) if explain else None

    def decide_anonymous(self, method: str, path: str, at: float) -> Decision:
        return self.decide(ANONYMOUS, "", "", method, path, at)

    def trace(
        self, entity: str, country: str, region: str, method: str, path: str, at: float
    ) -> list[RuleTrace]:
        """Every rule, in order, with the first field that kept it from matching."""
        request = {"entity": entity, "country": country, "region": region, "method": method}
        traces = []
        for rule in self.rules:
            mismatch = _first_mismatch(rule, request, path, at)
            traces.append(RuleTrace(rule, mismatch is None, mismatch))
        return traces


def _first_mismatch(rule: Rule, request: dict[str, str], path: str, at: float) -> str | None:
    patterns: Sequence[tuple[str, str]] = (
        ("entity", rule.entity_types),
        ("country", rule.country),
        ("region", rule.region),
    )
    for name, pattern in patterns:
        if not set_match(request[name], pattern):
            return f"{name} {request[name] or '(none)'!s} not in {pattern}"
    if not path_match(path, rule.path):
        return f"path {path} not in {rule.path}"
    if not set_match(request["method"], rule.methods):
        return f"method {request['method']} not in {rule.methods}"
    if not rule.active_at(at):
        return "not in effect at that instant"
    return None


def _new_enforcer(model: Any) -> Any:
    """A Casbin enforcer without its constructor's global logging side effect.

    ``casbin.Enforcer(model)`` disables (or reconfigures) every ``casbin*`` logger of the
    process; the app's logging is not ours to change. We run the same initialisation with a
    private, silent logger instead: Casbin would otherwise log every denial as a warning, and
    our audit log already records each decision once.
    """
    enforcer = casbin.Enforcer.__new__(casbin.Enforcer)
    enforcer.logger = _SILENT
    model.logger = _SILENT
    enforcer.init_with_model_and_adapter(model, None)
    return enforcer


_SILENT = logging.Logger("jurisgate.casbin")  # not registered with logging: affects nobody else
_SILENT.disabled = True


def _new_model(text: str) -> Any:
    try:
        model = casbin.Enforcer.new_model(text=text)
        for section in ("r", "p", "e", "m"):
            if section not in model.model:
                raise PolicyError(f"the model has no [{section}] section")
    except Exception as exc:
        raise translate(exc, PolicyError, f"the model cannot be loaded: {exc}") from exc
    return model
