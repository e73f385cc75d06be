"""Lint on path shapes that a generic gate cannot make safe: a deny row carved out of an allow
subtree (apps that decode paths their own way serve the carved path under other spellings:
Datasette's ``/faces/~73ecrets.json`` is ``/faces/secrets.json``), and ``|`` in the path
column, which joins nothing (the row would name one odd literal path)."""

from __future__ import annotations

import json

import pytest

from jurisgate.admin.files import policy_files_for
from jurisgate.admin.lint import lint_files
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.errors import PolicyError

from ..fixtures.admin_config import NOW, Run, WriteConfig

CITE = '"Order 7", https://example.org/7'
ALLOW = (
    "p, faces-read, allow, state_agency|federal_agency, US, *, *, *, official, /faces/*, GET, "
    ", , , \n"
)


def codes(write_config: WriteConfig, text: str) -> list[tuple[str, str | None, str]]:
    files = policy_files_for(str(write_config(text)))
    found = lint_files(files, now=parse_instant(NOW))
    return [(f.code, f.rule, f.message) for f in found]


@pytest.mark.parametrize("deny_path", ["/faces/secrets.json", "/faces/private/*", "/faces"])
def test_a_deny_carved_out_of_an_allow_subtree_is_reported(
    write_config: WriteConfig, deny_path: str
) -> None:
    deny = f"p, no-secrets, deny, *, US, *, *, *, *, {deny_path}, GET, , , {CITE}\n"
    (finding,) = codes(write_config, ALLOW + deny)
    code, rule, message = finding
    assert (code, rule) == ("carved_deny", "no-secrets")
    assert "faces-read" in message
    assert "/faces/*" in message


@pytest.mark.parametrize(
    "deny",
    [
        # as broad as the allow or broader: nothing is carved out
        f"p, no-faces, deny, *, US, *, *, *, *, /faces/*, GET, , , {CITE}\n",
        f"p, nothing, deny, *, US, *, *, *, *, *, *, , , {CITE}\n",
        # a path outside the subtree
        f"p, no-admin, deny, *, US, *, *, *, *, /admin/*, GET, , , {CITE}\n",
        # clients, methods or times the allow never serves
        f"p, no-company, deny, private_company, US, *, *, *, *, /faces/x, GET, , , {CITE}\n",
        f"p, no-post, deny, *, US, *, *, *, *, /faces/x, POST, , , {CITE}\n",
        f"p, no-france, deny, *, FR, *, *, *, *, /faces/x, GET, , , {CITE}\n",
        # the capacity (and the agency columns) count too
        f"p, no-personal, deny, *, US, *, *, *, personal, /faces/x, GET, , , {CITE}\n",
    ],
)
def test_denies_that_carve_nothing_are_not_reported(write_config: WriteConfig, deny: str) -> None:
    found = [code for code, _, _ in codes(write_config, ALLOW + deny)]
    assert "carved_deny" not in found


def test_a_carve_out_of_a_time_limited_allow_only_while_both_hold(
    write_config: WriteConfig,
) -> None:
    allow = (
        "p, pilot, allow, state_agency, US, *, *, *, *, /faces/*, GET, 2026-01-01, 2030-01-01, , \n"
    )
    later = f"p, later, deny, *, US, *, *, *, *, /faces/x, GET, 2031-01-01, , {CITE}\n"
    during = f"p, during, deny, *, US, *, *, *, *, /faces/x, GET, 2029-01-01, , {CITE}\n"
    found = [(code, rule) for code, rule, _ in codes(write_config, allow + later + during)]
    assert ("carved_deny", "during") in found
    assert ("carved_deny", "later") not in found


def test_the_bundled_pack_carves_nothing(run: Run) -> None:
    code, out, _ = run("lint", "--at", NOW, "--json")
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize("path", ["/a|/b", "/search/*|/health", "/a |/b"])
def test_a_bar_in_the_path_column_is_reported(
    run: Run, write_config: WriteConfig, path: str
) -> None:
    row = f'p, two-paths, allow, state_agency, US, *, *, *, *, "{path}", GET, , , , \n'
    config = write_config(row)
    code, out, _ = run("lint", "--config", str(config), "--at", NOW, "--json")
    assert code == 1
    finding, stopping = json.loads(out)
    assert (finding["code"], finding["rule"]) == ("bad_path", "two-paths")
    assert "one row per path" in finding["message"]
    # The gate refuses such a policy too: lint says so (test_the_gate_refuses_... below).
    assert (stopping["source"], stopping["code"]) == (str(config), "cannot_start")


def test_the_gate_refuses_to_load_a_bar_in_a_path(write_config: WriteConfig) -> None:
    files = policy_files_for(str(write_config(
        f"p, two-paths, deny, *, US, *, *, *, *, /a|/b, GET, , , {CITE}\n"
    )))  # fmt: skip
    from jurisgate.middleware.decision.policy_files import read_policy_csv

    text = files.policy.read_text(encoding="utf-8")
    source = PolicySource(
        files.model.read_text(encoding="utf-8"),
        tuple(read_policy_csv(text, files.policy_origin)),
        files.model_origin,
        files.policy_origin,
    )
    with pytest.raises(PolicyError, match="one row per path"):
        PolicyEngine(source)
