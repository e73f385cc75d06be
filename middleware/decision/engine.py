"""Decide: ask Casbin whether a normalized client may do this request at this instant.

An engine is immutable: it is built from one PolicySource and answers for that version only.
Reloading a policy builds a new engine and swaps the reference, so a request in flight always
finishes on the version it started with.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass
from typing import Any, Final

import casbin

from ..claims.principal import ANONYMOUS_VIEW, PolicyView
from ..errors import PolicyError
from ..third_party import translate
from .compiled import CompiledPolicy, is_standard_matcher
from .matchers import active, path_match, regex_full_match, set_match
from .policy_source import PolicySource
from .rules import parse_rules
from .values import Decision, Rule, refusal

__all__ = ["LEGACY_REQUEST_FIELDS", "REQUEST_FIELDS", "PolicyEngine", "RuleTrace"]

# What the policy can see of a request, in the model's request_definition order.
REQUEST_FIELDS: Final = (
    "entity", "country", "region", "agency_type", "agency_region", "capacity",
    "path", "method", "at",
)  # fmt: skip
# Models written before agency and capacity were claims still load; they cannot see those.
LEGACY_REQUEST_FIELDS: Final = ("entity", "country", "region", "path", "method", "at")
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
        request = tuple(token.removeprefix("r_") for token in model["r"]["r"].tokens)
        if request not in (REQUEST_FIELDS, LEGACY_REQUEST_FIELDS):
            raise PolicyError(
                f"{source.model_origin}: request_definition must be "
                f"'r = {', '.join(REQUEST_FIELDS)}', found 'r = {', '.join(request)}'"
            )
        self._sees_agency = request == REQUEST_FIELDS
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
            enforcer.enforce_ex(*self._casbin_request(ANONYMOUS_VIEW, "GET", "/", 0.0))
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
            if is_standard_matcher(model["m"]["m"].value, self.rules)
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
        self,
        entity: str,
        country: str,
        region: str,
        method: str,
        path: str,
        at: float,
        *,
        agency_type: str = "",
        agency_region: str = "",
        capacity: str = "official",
    ) -> Decision:
        """A client given attribute by attribute: a shorthand for ``decide_view``."""
        view = PolicyView(entity, country, region, agency_type, agency_region, capacity)
        return self.decide_view(view, method, path, at)

    def decide_view(self, view: PolicyView, method: str, path: str, at: float) -> Decision:
        """Deny overrides allow; nothing allowed is denied. Raises PolicyError, never allows."""
        compiled = self.compiled
        if compiled is not None:
            allowed, rule = compiled.decide(view, path, method, at)
        else:
            allowed, rule = self.casbin_decide(view, method, path, at)
        since, until = self.span(at)
        if allowed is True and rule is not None and rule.effect == "allow":
            return Decision("allow", 200, rule.id, rule.citation, self.version, until, since)
        if rule is not None and rule.effect == "deny":
            status = 451 if rule.citation is not None else 403
            return Decision("deny", status, rule.id, rule.citation, self.version, until, since)
        return refusal(self.version, until, since)  # no rule allows: default deny

    def casbin_decide(
        self, view: PolicyView, method: str, path: str, at: float
    ) -> tuple[bool, Rule | None]:
        """Casbin's own answer: whether it allows, and the rule its enforce_ex names."""
        try:
            allowed, explain = self._enforcer.enforce_ex(
                *self._casbin_request(view, method, path, at)
            )
        except Exception as exc:  # Casbin raises bare RuntimeError/SyntaxError and evaluator errors
            message = f"policy evaluation failed: {type(exc).__name__}"
            raise translate(exc, PolicyError, message) from exc
        return allowed is True, self._by_id.get(explain[self._id_index]) if explain else None

    def _casbin_request(
        self, view: PolicyView, method: str, path: str, at: float
    ) -> tuple[str | float, ...]:
        """The request in the model's request_definition order."""
        if self._sees_agency:
            return (*view, path, method, at)
        return (view.entity, view.country, view.region, path, method, at)

    def decide_anonymous(self, method: str, path: str, at: float) -> Decision:
        return self.decide_view(ANONYMOUS_VIEW, method, path, at)

    def trace(self, view: PolicyView, method: str, path: str, at: float) -> list[RuleTrace]:
        """Every rule, in order, with the first field that kept it from matching."""
        traces = []
        for rule in self.rules:
            mismatch = _first_mismatch(rule, view, method, path, at)
            traces.append(RuleTrace(rule, mismatch is None, mismatch))
        return traces


def _first_mismatch(rule: Rule, view: PolicyView, method: str, path: str, at: float) -> str | None:
    for (name, pattern), value in zip(rule.client_patterns(), view, strict=True):
        if not set_match(value, pattern):
            return f"{name} {value or '(none)'!s} not in {pattern}"
    if not path_match(path, rule.path):
        return f"path {path} not in {rule.path}"
    if not set_match(method, rule.methods):
        return f"method {method} not in {rule.methods}"
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
