"""``[[issuers]]``: the identity providers a gate trusts, each with its key source, pinned
algorithms, optional typing, where its tokens carry the jurisdiction claims, and the authority
it has over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..claims.authority import IssuerAuthority
from ..claims.mapping import ClaimMapping
from ..errors import ConfigError
from ..token.keys import JwksKeys
from ..token.verifier import TrustedIssuer
from .table import Table, build, is_link_target, resolve_path

__all__ = ["parse_issuer", "production_marks"]


def production_marks(raw_issuers: list[Any], file: Path) -> frozenset[str]:
    """Issuers marked ``production = true`` (``jurisgate token mint`` refuses them and their
    keys). Read and removed here: it says how a key may be used, not how tokens verify."""
    marked: set[str] = set()
    for index, item in enumerate(raw_issuers):
        if not isinstance(item, dict) or "production" not in item:
            continue
        value = item.pop("production")
        if not isinstance(value, bool):
            raise ConfigError(f"{file}: issuers[{index}].production must be true or false")
        if value and isinstance(item.get("issuer"), str):
            marked.add(item["issuer"])
    return frozenset(marked)


def parse_issuer(data: object, index: int, base: Path, file: Path) -> TrustedIssuer:
    table = Table(
        data,
        f"issuers[{index}]",
        file,
        (
            "issuer",
            "audience",
            "algorithms",
            "public_key_file",
            "jwks_file",
            "jwks_url",
            "jwks_cache_ttl",
            "jwks_min_refresh",
            "jwks_timeout",
            "required_typ",
            "entity_types",
            "countries",
            "regions",
            "agency_regions",
            "agency_region",
            "claims",
        ),
    )
    issuer = table.get("issuer", str, required=True)
    audience = table.get("audience", str, required=True)
    algorithms = table.get("algorithms", list, required=True)
    if not algorithms or not all(isinstance(a, str) for a in algorithms):
        raise table.error("algorithms", "must be a non-empty list of algorithm names")
    sources = [k for k in ("public_key_file", "jwks_file", "jwks_url") if k in table.data]
    if len(sources) != 1:
        raise table.error("public_key_file", "or jwks_file or jwks_url: exactly one is required")
    key: bytes | None = None
    jwks: JwksKeys | None = None
    if sources[0] == "public_key_file":
        key = _read_key(table, base, algorithms)
    else:
        jwks = _jwks(table, base, tuple(algorithms))
    required_typ = table.get("required_typ", str)
    authority = _authority(table)
    claims = _claim_mapping(table)
    return build(
        table,
        lambda: TrustedIssuer(
            issuer,
            audience,
            tuple(algorithms),
            key,
            required_typ=required_typ,
            authority=authority,
            jwks=jwks,
            claims=claims,
        ),
    )


def _read_key(table: Table, base: Path, algorithms: list[str]) -> bytes:
    key_file = resolve_path(base, table.get("public_key_file", str, required=True))
    try:
        key = key_file.read_bytes()
    except OSError as exc:
        raise table.error(
            "public_key_file", f"cannot be read: {key_file} ({exc.strerror})"
        ) from exc
    if any(alg.startswith("HS") for alg in algorithms):
        key = key.strip()
    elif b"PRIVATE KEY" in key:
        raise table.error("public_key_file", "holds a private key; give the public key only")
    return key


def _jwks(table: Table, base: Path, algorithms: tuple[str, ...]) -> JwksKeys:
    url = table.get("jwks_url", str)
    file = table.get("jwks_file", str)
    if url is not None:
        table.check("jwks_url", url, is_link_target, "must be an http(s) URL")
    try:
        return JwksKeys(
            algorithms=algorithms,
            url=url,
            file=resolve_path(base, file) if file is not None else None,
            cache_ttl=table.get("jwks_cache_ttl", float, 300.0),
            min_refresh_interval=table.get("jwks_min_refresh", float, 30.0),
            timeout=table.get("jwks_timeout", float, 5.0),
        )
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc


def _claim_mapping(table: Table) -> ClaimMapping:
    """``claims = { entity_type = "https://example.gov/entity_type", region = [...] }``."""
    table.used.add("claims")
    if "claims" not in table.data:
        return ClaimMapping()
    try:
        return ClaimMapping.from_config(table.data["claims"])
    except ValueError as exc:
        raise ConfigError(f"{table.file}: {table.where}.{exc}") from exc


def _authority(table: Table) -> IssuerAuthority:
    limits: dict[str, list[str] | None] = {}
    for name in ("entity_types", "countries", "regions", "agency_regions"):
        values = table.get(name, list)
        if values is not None and (not values or not all(isinstance(v, str) for v in values)):
            raise table.error(name, "must be a non-empty list of strings")
        limits[name] = values
    pinned = table.get("agency_region", str)
    try:
        return IssuerAuthority.limit(**limits, agency_region=pinned)
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc
