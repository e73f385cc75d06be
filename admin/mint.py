"""``jurisgate token mint``: sign a development token for one configured issuer.

For development and tests only. It refuses an issuer that the config marks
``production = true``, and any signing key whose signatures a production issuer's key would
accept (the same key under another issuer's name included). The token it prints is verified
with the gate's own verifier before it is printed, so a key that does not belong to the
issuer is caught here rather than as a puzzling 401.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from jurisgate.middleware.authenticate import issuer_tables
from jurisgate.middleware.claims.mapping import read_principal
from jurisgate.middleware.config.gate_config import GateConfig
from jurisgate.middleware.errors import ClaimsError, JurisgateError
from jurisgate.middleware.token.algorithms import jose_algorithms, sign_token
from jurisgate.middleware.token.verifier import TokenVerifier, TrustedIssuer

from .files import config_for_command

__all__ = ["mint_token", "register"]

_PROBE = b"jurisgate-mint-probe"


def register(commands: Any) -> None:
    """Add ``token mint`` to the ``jurisgate`` command line."""
    token: argparse.ArgumentParser = commands.add_parser(
        "token", help="development tokens (never for production issuers)"
    )
    token.set_defaults(run=lambda _: _usage(token))
    actions = token.add_subparsers(title="token commands")
    mint = actions.add_parser(
        "mint",
        help="sign a development token with a dev key",
        description="Sign a token for an issuer of the config with a development key. Refuses "
        "issuers marked production = true and keys a production issuer would accept. "
        "Exit 0: the token is printed; 2: refused or unusable input.",
    )
    mint.add_argument(
        "--config", metavar="FILE", help="jurisgate.toml (default: $JURISGATE_CONFIG)"
    )
    mint.add_argument("--key", required=True, metavar="KEY.pem", help="private key (HS*: secret)")
    mint.add_argument("--claims", required=True, metavar="CLAIMS.json", help="entity_type, ...")
    mint.add_argument("--sub", default="dev-client", help="subject (default dev-client)")
    mint.add_argument("--issuer", help="which [[issuers]] entry (default: the only one)")
    mint.add_argument("--alg", help="signing algorithm (default: the issuer's first)")
    mint.add_argument("--lifetime", type=int, default=3600, help="seconds (default 3600)")
    mint.set_defaults(run=_run)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    try:
        key = Path(args.key).read_bytes()
        claims = json.loads(Path(args.claims).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JurisgateError(f"cannot read the key or the claims: {exc}") from exc
    if not isinstance(claims, dict):
        raise JurisgateError(f"{args.claims}: claims must be a JSON object")
    config = config_for_command(args.config, "token mint")
    print(
        mint_token(
            config,
            key,
            claims,
            subject=args.sub,
            issuer=args.issuer,
            algorithm=args.alg,
            lifetime=args.lifetime,
        )
    )
    print("development token: never use it against a production deployment", file=sys.stderr)
    refusal = _claims_refusal(_issuer(config, args.issuer), args.sub, claims)
    if refusal is not None:
        print(f"warning: the gate will refuse this token's claims: {refusal}", file=sys.stderr)
    return 0


def _claims_refusal(trusted: TrustedIssuer, subject: str, claims: dict[str, Any]) -> str | None:
    """Why the gate would refuse the claims (read through the issuer's claim mapping and
    limited by its authority, as the gate reads them), or None."""
    authorities, mappings = issuer_tables([trusted])
    try:
        read_principal(trusted.issuer, subject, claims, mappings=mappings, authorities=authorities)
    except ClaimsError as exc:
        return f"{exc.code} ({exc})"
    return None


def mint_token(
    config: GateConfig,
    key: bytes,
    claims: dict[str, Any],
    *,
    subject: str = "dev-client",
    issuer: str | None = None,
    algorithm: str | None = None,
    lifetime: int = 3600,
    now: float | None = None,
) -> str:
    """A signed token for a non-production issuer of ``config``. Raises JurisgateError."""
    trusted = _issuer(config, issuer)
    if trusted.issuer in config.production_issuers:
        raise JurisgateError(f"issuer {trusted.issuer} is marked production: refusing to mint")
    alg = algorithm or trusted.algorithms[0]
    if alg not in trusted.algorithms:
        raise JurisgateError(f"issuer {trusted.issuer} does not accept {alg}")
    if not 0 < lifetime <= config.tokens.max_lifetime:
        raise JurisgateError(f"--lifetime must be between 1 and {config.tokens.max_lifetime:.0f}")
    signing_key: bytes = key.strip() if alg.startswith("HS") else key
    _refuse_production_keys(config, alg, signing_key)
    issued = int(now if now is not None else time.time())
    payload = {
        **claims,
        "iss": trusted.issuer,
        "aud": trusted.audience,
        "sub": subject,
        "iat": issued,
        "exp": issued + lifetime,
    }
    try:
        token = sign_token(payload, signing_key, alg)
    except Exception as exc:  # PyJWT and cryptography raise many types for unusable keys
        raise JurisgateError(f"cannot sign with this key and {alg}: {exc}") from exc
    try:
        TokenVerifier((trusted,), config.tokens).verify(token, float(issued))
    except JurisgateError as exc:
        raise JurisgateError(
            f"the key does not match issuer {trusted.issuer}'s public key ({exc})"
        ) from exc
    return token


def _issuer(config: GateConfig, name: str | None) -> TrustedIssuer:
    if name is None:
        if len(config.issuers) != 1:
            names = ", ".join(i.issuer for i in config.issuers)
            raise JurisgateError(f"several issuers in the config; pick one with --issuer ({names})")
        return config.issuers[0]
    for trusted in config.issuers:
        if trusted.issuer == name:
            return trusted
    raise JurisgateError(f"issuer {name} is not in the config")


def _refuse_production_keys(config: GateConfig, alg: str, key: bytes) -> None:
    """Refuse a key whose signatures any production issuer's key verifies."""
    import jwt

    algorithms = jose_algorithms()
    try:
        signer = algorithms[alg]
        signature = signer.sign(_PROBE, signer.prepare_key(key))
    except Exception as exc:
        raise JurisgateError(f"cannot sign with this key and {alg}: {exc}") from exc
    for trusted in config.issuers:
        if trusted.issuer not in config.production_issuers or alg not in trusted.algorithms:
            continue
        verifier = algorithms[alg]
        try:
            accepted = verifier.verify(_PROBE, verifier.prepare_key(trusted.key), signature)
        except (jwt.PyJWTError, ValueError, TypeError):
            accepted = False
        if accepted:
            raise JurisgateError(
                f"this key is the key of production issuer {trusted.issuer}: refusing to mint"
            )
