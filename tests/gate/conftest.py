"""Configurations that must stop a gate at start-up, one per way an admin gets it wrong, each
with the words its message must hold (the file and the key), and the apps mounted the two ways
README.md shows."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jurisgate.policies import pack_files

ISSUER: Final = "https://idp.startup.test"


@dataclass(frozen=True)
class BadConfig:
    """A jurisgate.toml that must not start, and what its start-up message must name."""

    path: Path
    names: tuple[str, ...]


WriteBadConfig = Callable[[str], BadConfig]

# case -> (what the [[issuers]] table and the rest of the file hold, the key the message names,
# another word it must hold). {ec} / {ec_private} / {model} / {bad_policy} are filled in.
_CASES: Final = {
    "unknown key": (
        'algorithms = ["ES256"]\npublic_key_file = "{ec}"\naudiance = "face-search-api"\n',
        "issuers[0].audiance",
        "unknown key",
    ),
    "private key as public key": (
        'algorithms = ["ES256"]\npublic_key_file = "{ec_private}"\n',
        "issuers[0].public_key_file",
        "private key",
    ),
    "missing key file": (
        'algorithms = ["ES256"]\npublic_key_file = "absent.pem"\n',
        "issuers[0].public_key_file",
        "absent.pem",
    ),
    "algorithm the key cannot serve": (
        'algorithms = ["ES384"]\npublic_key_file = "{ec}"\n',
        "issuers[0].algorithms",
        "ES384",
    ),
    "redis_url without a secret": (
        'algorithms = ["ES256"]\npublic_key_file = "{ec}"\n'
        '[cache]\nredis_url = "redis://127.0.0.1:9/0"\n',
        "[cache] redis_url",
        "secret",
    ),
    "audit file in a missing directory": (
        'algorithms = ["ES256"]\npublic_key_file = "{ec}"\n'
        '[audit]\nfile = "no-such-dir/audit.jsonl"\n',
        "audit.file",
        "no-such-dir",
    ),
    "policy that does not parse": (
        'algorithms = ["ES256"]\npublic_key_file = "{ec}"\n'
        '[policy]\nmodel = "{model}"\npolicy = "{bad_policy}"\nwatch_interval = 0\n',
        "[policy]",
        "bad.csv:2",
    ),
}
BAD_CONFIGS: Final = tuple(_CASES)


@pytest.fixture
def write_bad_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteBadConfig:
    """Write the named bad config as ``jurisgate.toml`` in tmp_path (beside its key files)."""
    monkeypatch.delenv("JURISGATE_CACHE_SECRET", raising=False)
    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ec.pem").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (tmp_path / "ec-private.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    model, policy = pack_files()
    (tmp_path / "model.conf").write_text(model.read_text(encoding="utf-8"), encoding="utf-8")
    rows = policy.read_text(encoding="utf-8").splitlines()
    (tmp_path / "bad.csv").write_text(f"{rows[0]}\np, half-a-row, deny\n", encoding="utf-8")

    def write(case: str) -> BadConfig:
        body, key, word = _CASES[case]
        issuer = f'[[issuers]]\nissuer = "{ISSUER}"\naudience = "face-search-api"\n'
        text = issuer + body.format(
            ec="ec.pem", ec_private="ec-private.pem", model="model.conf", bad_policy="bad.csv"
        )
        path = tmp_path / "jurisgate.toml"
        path.write_text(text, encoding="utf-8")
        return BadConfig(path, (key, word))

    return write


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# The two ways README.md mounts the gate, as the module a server imports (``app:app``).
STARLETTE_APP: Final = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jurisgate.middleware import JurisdictionMiddleware


async def health(request):
    return PlainTextResponse("ok")


app = Starlette(
    routes=[Route("/health", health)],
    middleware=[Middleware(JurisdictionMiddleware, config="jurisgate.toml")],
)
"""
FASTAPI_APP: Final = """
from fastapi import FastAPI

from jurisgate.middleware import JurisdictionMiddleware

app = FastAPI()
app.add_middleware(JurisdictionMiddleware, config="jurisgate.toml")


@app.get("/health")
async def health():
    return {"status": "ok"}
"""
