"""Shared fixtures: the real bundled pack, and engines built from small policy texts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jurisgate.adapters import load_policy_files, read_policy_csv
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.policies import pack_files

MakeSource = Callable[[str], PolicySource]
MakeEngine = Callable[[str], PolicyEngine]


@pytest.fixture(scope="session")
def pack_source() -> PolicySource:
    return load_policy_files(*pack_files())


@pytest.fixture(scope="session")
def pack_engine(pack_source: PolicySource) -> PolicyEngine:
    return PolicyEngine(pack_source)


@pytest.fixture(scope="session")
def model_text() -> str:
    return pack_files()[0].read_text(encoding="utf-8")


@pytest.fixture
def make_source(model_text: str) -> MakeSource:
    """A PolicySource of the bundled model and the given policy CSV text (origin ``t.csv``)."""

    def make(policy_csv: str) -> PolicySource:
        return PolicySource(model_text, read_policy_csv(policy_csv, "t.csv"), "m.conf", "t.csv")

    return make


@pytest.fixture
def make_engine(make_source: MakeSource) -> MakeEngine:
    def make(policy_csv: str) -> PolicyEngine:
        return PolicyEngine(make_source(policy_csv))

    return make
