"""Property tests: arbitrary claims (signed with a trusted key), arbitrary token headers and
arbitrary Authorization bytes never raise past the middleware, never answer 5xx, and never
allow a client that an independent oracle, written here from the issue's words, denies."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import jwt
import pycountry
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jurisgate.middleware.claims.principal import principal_from_claims
from jurisgate.middleware.errors import ClaimsError

if TYPE_CHECKING:
    from starlette.types import Message

    from tests.fixtures.idps import Gate, IdPs

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the oracle: the settlement and the claims contract, restated independently -----------
GOVERNMENT = (
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
)
OTHERS = (
    "private_company",
    "individual",
    "foreign_government",
    "foreign_law_enforcement",
)
US_STATES: dict[str, str] = {
    sub.code: sub.name for sub in pycountry.subdivisions.get(country_code="US")
}
DC_NAMES = ("washington dc", "washington d.c.", "washington, d.c.")
NOW = 1795694400.0  # 2026-11-26T12:00:00Z, the suite's fixed clock
ISSUER = "https://idp-rsa.test"
AUDIENCE = "face-search-api"


def oracle_us_region(value: object) -> str | None:
    """The US subdivision a region claim names, by ISO code, code suffix or name; else None."""
    if not isinstance(value, str) or not value.isascii() or value != value.strip():
        return None
    if any(not ch.isprintable() for ch in value):
        return None
    lowered = value.lower()
    if lowered in DC_NAMES:
        return "US-DC"
    for code, name in US_STATES.items():
        if lowered in (code.lower(), code[3:].lower(), name.lower()):
            return code
    return None


TERRITORIES = ("PR", "GU", "VI", "AS", "MP", "UM")  # ISO 3166-1 codes that are US subdivisions
ISO_CODE = re.compile(r"[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?")


def oracle_us_location(country: object, region: object) -> str | None:
    """The US subdivision a client is in (its own territory code counts as the US); else None."""
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{2}", country):
        return None
    country = country.upper()
    if country == "US":
        return oracle_us_region(region)
    if country not in TERRITORIES:
        return None
    territory = f"US-{country}"
    if region is ABSENT or region is None:
        return territory
    if isinstance(region, str) and ISO_CODE.fullmatch(region):
        owner = pycountry.subdivisions.get(code=region.upper())
        if owner is not None and owner.country_code == country:
            return territory
    return territory if oracle_us_region(region) == territory else None


def oracle_allows_claims(entity: object, country: object, region: object) -> bool:
    """GET /search at NOW: US government outside Illinois (the Illinois terms run to 2027)."""
    if entity not in GOVERNMENT or not isinstance(entity, str):
        return False
    code = oracle_us_location(country, region)
    return code is not None and code != "US-IL"


def oracle_agency(agency: str, value: object) -> str | None:
    """The US government an agency of type ``agency`` names (None: absent, foreign, unusable)."""
    if not isinstance(value, str) or not ISO_CODE.fullmatch(value):
        return None
    code = value.upper()
    if code in TERRITORIES:
        code = f"US-{code}"
    if agency.startswith("federal_"):
        return code if code == "US" else None
    return code if code in US_STATES else None


def oracle_allows_decree(claims: dict[str, object]) -> bool:
    """GET /search at NOW under the consent decree: official capacity, a US government agency
    (or its contractor) outside Illinois, located in the US outside Illinois."""

    def given(name: str) -> object:
        value = claims.get(name, ABSENT)
        return ABSENT if value is None else value

    if given("capacity") not in (ABSENT, "official"):
        return False
    location = oracle_us_location(given("country"), given("region"))
    if location is None or location == "US-IL":
        return False
    entity = given("entity_type")
    if not isinstance(entity, str):
        return False
    if entity in GOVERNMENT and given("agency_type") is ABSENT:
        agency, default = entity, ("US" if entity.startswith("federal_") else None)
    elif entity == "government_contractor" and given("agency_type") in GOVERNMENT:
        agency, default = str(given("agency_type")), None
    else:
        return False
    raw = given("agency_region")
    government = default if raw is ABSENT else oracle_agency(agency, raw)
    return government is not None and government != "US-IL"


def oracle_token_ok(header: dict[str, Any], claims: dict[str, Any], trusted_key: bool) -> bool:
    """RFC 7519 plus the strict profile, as the issue lists it."""
    if not trusted_key or header.get("alg") != "RS256":
        return False
    if {"crit", "jku", "x5u", "jwk", "x5c"} & header.keys():
        return False
    if "kid" in header and not (isinstance(header["kid"], str) and 0 < len(header["kid"]) <= 256):
        return False
    if "typ" in header and not isinstance(header["typ"], str):
        return False
    if claims.get("iss") != ISSUER:
        return False
    aud = claims.get("aud")
    if not (aud == AUDIENCE or (isinstance(aud, list) and AUDIENCE in aud)):
        return False
    if isinstance(aud, list) and not all(isinstance(a, str) for a in aud):
        return False
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= 256:
        return False

    def number(name: str) -> float | None:
        if name not in claims:
            return None
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(name)
        return float(value)

    try:
        exp, nbf, iat = number("exp"), number("nbf"), number("iat")
    except ValueError:
        return False
    if exp is None or exp <= NOW - 30:
        return False
    if (nbf is not None and nbf > NOW + 30) or (iat is not None and iat > NOW + 30):
        return False
    return exp - (iat if iat is not None else NOW) <= 86400


# --- strategies ---------------------------------------------------------------------------
LOOKALIKE = st.sampled_from(
    ["\u200b", "\ufeff", " ", "\t", "\n", "\u0000", "\u00a0", "\uff33", "\u0405", "\u0301"]
)


def mutated(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values with a look-alike inserted, or recased."""
    return st.one_of(
        values,
        values.map(str.upper),
        values.map(str.lower),
        st.tuples(values, LOOKALIKE, st.integers(0, 20)).map(
            lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
        ),
    )


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
ENTITIES = mutated(st.sampled_from(GOVERNMENT + OTHERS))
AGENCY_REGIONS = mutated(
    st.sampled_from(["US", "US-IL", "US-TX", "US-NY", "PR", "US-PR", "IL", "UA"])
)
CAPACITIES = mutated(st.sampled_from(["official", "personal"]))
COUNTRIES = mutated(st.sampled_from(["US", "CA", "MX", "IL", "FR", "UA", "UM", "PR"]))
REGIONS = mutated(
    st.sampled_from(sorted(US_STATES))
    | st.sampled_from(sorted(US_STATES)).map(lambda c: c[3:])
    | st.sampled_from(sorted(US_STATES.values()))
    | st.sampled_from(["FR-75C", "IL-TA", "CA-ON", "MX-CHH", "Washington, D.C.", "Maryland"])
)
ABSENT = object()


def claim(plain: list[str], values: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """Mostly well-formed values (so that allowed clients are common), then everything else."""
    other = st.one_of(values, JSON, st.just(ABSENT))
    return st.integers(0, 9).flatmap(lambda n: st.sampled_from(plain) if n < 6 else other)


def valid_or(valid: object, other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.integers(0, 9).flatmap(
        lambda n: st.just(valid) if n < 8 else st.one_of(other, st.just(ABSENT))
    )


def _status(messages: list[Message]) -> int:
    (start,) = [m for m in messages if m["type"] == "http.response.start"]
    status = start["status"]
    assert isinstance(status, int)
    return status


def _ask(gate: Gate, authorization: bytes | None) -> int:
    headers = [] if authorization is None else [(b"authorization", authorization)]
    before = len(gate.reached.calls)
    status = _status(gate.raw("/search", headers=headers))
    assert status < 500
    event(f"status {status}")  # shown by --hypothesis-show-statistics
    assert (status == 200) == (len(gate.reached.calls) == before + 1)
    return status


# --- properties ---------------------------------------------------------------------------
@SETTINGS
@given(
    entity=claim(list(GOVERNMENT), ENTITIES),
    country=claim(["US"], COUNTRIES),
    region=claim(["US-NY", "TX", "Illinois", "US-IL"], REGIONS),
)
def test_normalizer_raises_only_claims_errors_and_returns_canonical_values(
    entity: object, country: object, region: object
) -> None:
    claims = {
        name: value
        for name, value in (("entity_type", entity), ("country", country), ("region", region))
        if value is not ABSENT
    }
    try:
        principal = principal_from_claims("iss", "sub", claims)
    except ClaimsError:
        return
    assert principal.entity_type in GOVERNMENT + OTHERS
    assert re.fullmatch(r"[A-Z]{2}", principal.country)
    assert principal.region is None or re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", principal.region)
    assert principal.region is None or principal.region.startswith(principal.country + "-")
    assert principal.region is not None or principal.country != "US"


@SETTINGS
@given(
    entity=claim(list(GOVERNMENT), ENTITIES),
    country=claim(["US"], COUNTRIES),
    region=claim(["US-NY", "TX", "Illinois", "US-IL"], REGIONS),
)
def test_gate_never_allows_claims_the_oracle_denies(
    shared_gate: Gate, idps: IdPs, entity: object, country: object, region: object
) -> None:
    overrides = {
        "entity_type": entity if entity is not ABSENT else idps.drop,
        "country": country if country is not ABSENT else idps.drop,
        "region": region if region is not ABSENT else idps.drop,
    }
    token = idps.rsa.mint(**overrides)
    status = _ask(shared_gate, f"Bearer {token}".encode())
    allowed = oracle_allows_claims(entity, country, region)  # ABSENT where left out
    assert status in (200, 403, 451)
    if status == 200:
        assert allowed, overrides


@SETTINGS
@given(
    header=st.fixed_dictionaries(
        {
            "alg": st.sampled_from(["RS256"] * 6 + ["RS384", "PS256"]),
            "kid": valid_or("key-1", JSON),
            "typ": valid_or("JWT", st.sampled_from(["at+jwt", "JOSE"]) | JSON),
            "extra": st.sampled_from([None] * 6 + ["crit", "jku", "x5c", "b64"]),
        }
    ),
    registered=st.fixed_dictionaries(
        {
            "iss": valid_or(ISSUER, st.sampled_from([ISSUER + "/", "https://evil.test"]) | JSON),
            "aud": valid_or(
                AUDIENCE, st.sampled_from([[AUDIENCE], ["x", AUDIENCE], "x", []]) | JSON
            ),
            "sub": valid_or("agent", st.text(max_size=300) | JSON),
            "exp": valid_or(
                NOW + 600, st.integers(-200_000, 200_000).map(lambda d: NOW + d) | JSON
            ),
            "nbf": valid_or(NOW - 60, st.integers(-100, 100).map(lambda d: NOW + d) | JSON),
            "iat": valid_or(NOW - 60, st.integers(-200_000, 100).map(lambda d: NOW + d) | JSON),
        }
    ),
    trusted_key=st.sampled_from([True] * 5 + [False]),
)
def test_gate_never_accepts_a_token_the_oracle_refuses(
    shared_gate: Gate,
    idps: IdPs,
    header: dict[str, Any],
    registered: dict[str, Any],
    trusted_key: bool,
) -> None:
    claims = {
        "entity_type": "local_law_enforcement",
        "country": "US",
        "region": "US-NY",
        "agency_region": "US-NY",
    }
    claims.update({name: value for name, value in registered.items() if value is not ABSENT})
    extra = header.pop("extra")
    header = {name: value for name, value in header.items() if value is not ABSENT}
    if extra is not None:
        header[extra] = ["exp"] if extra == "crit" else "http://127.0.0.1:1/k"
    signer = idps.rsa if trusted_key else idps.attacker_rsa
    raw_header = json.dumps(header).encode()
    token = signer.sign_raw(raw_header, json.dumps(claims).encode(), alg=header["alg"])
    status = _ask(shared_gate, f"Bearer {token}".encode())
    assert status in (200, 401)
    if status == 200:
        assert oracle_token_ok(header, claims, trusted_key), (header, claims)
    elif oracle_token_ok(header, claims, trusted_key):
        raise AssertionError(f"a valid token was refused: {header} {claims}")


AUTH_PREFIX = st.sampled_from([b"", b"Bearer ", b"bearer ", b"BEARER ", b"Basic ", b"Bearer  "])
TOKENISH = st.lists(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/", max_size=40
    ),
    min_size=0,
    max_size=5,
).map(lambda parts: ".".join(parts).encode())


@SETTINGS
@given(prefix=AUTH_PREFIX, body=st.binary(max_size=300) | TOKENISH)
def test_arbitrary_authorization_bytes_are_refused_cleanly(
    shared_gate: Gate, prefix: bytes, body: bytes
) -> None:
    assert _ask(shared_gate, prefix + body) in (400, 401)


@SETTINGS
@given(header=st.dictionaries(st.text(max_size=6), JSON, max_size=4), payload=JSON)
def test_arbitrary_json_segments_signed_with_a_trusted_key_never_pass(
    shared_gate: Gate, idps: IdPs, header: dict[str, Any], payload: object
) -> None:
    # Without iss/aud/exp/sub/claims from the test, nothing here can be a valid token.
    token = idps.rsa.sign_raw(json.dumps(header).encode(), json.dumps(payload).encode(), "RS256")
    assert _ask(shared_gate, f"Bearer {token}".encode()) in (400, 401)


def test_oracle_agrees_with_the_decision_table() -> None:
    # The oracle must be able to say yes, or the properties above prove nothing.
    assert oracle_allows_claims("federal_law_enforcement", "US", "US-DC")
    assert oracle_allows_claims("local_law_enforcement", "US", "NY")
    assert not oracle_allows_claims("federal_law_enforcement", "US", "US-IL")
    assert not oracle_allows_claims("state_law_enforcement", "US", "Illinois")
    assert not oracle_allows_claims("private_company", "US", "US-TX")
    assert not oracle_allows_claims("foreign_law_enforcement", "UA", None)
    assert not oracle_allows_claims("local_law_enforcement", "US", None)
    valid = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s", "exp": NOW + 60}
    assert oracle_token_ok({"alg": "RS256"}, valid, trusted_key=True)
    assert not oracle_token_ok({"alg": "RS256"}, valid, trusted_key=False)


def test_oracle_now_is_the_suites_clock(idps: IdPs) -> None:
    assert idps.now == NOW
    assert jwt.get_algorithm_by_name("RS256") is not None


# Consistent clients of the decree's cases, then up to two claims replaced by anything.
DECREE_CLIENTS: list[dict[str, object]] = [
    {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-DC"},
    {"entity_type": "state_agency", "country": "US", "region": "TX", "agency_region": "US-TX"},
    {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN",
     "agency_region": "US-IL"},
    {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
     "agency_region": "US", "country": "US", "region": "US-VA"},
    {"entity_type": "government_contractor", "agency_type": "local_law_enforcement",
     "agency_region": "US-IL", "country": "US", "region": "US-TX"},
    {"entity_type": "local_law_enforcement", "country": "PR", "agency_region": "PR"},
    {"entity_type": "federal_agency", "capacity": "personal", "country": "US", "region": "US-VA"},
]  # fmt: skip
MUTATIONS: dict[str, st.SearchStrategy[object]] = {
    "entity_type": claim([*GOVERNMENT, "government_contractor"], ENTITIES),
    "country": claim(["US", "PR"], COUNTRIES),
    "region": claim(["US-NY", "TX", "US-IL", "IN"], REGIONS),
    "agency_type": claim(list(GOVERNMENT), ENTITIES),
    "agency_region": claim(["US", "US-IL", "US-TX", "PR"], AGENCY_REGIONS),
    "capacity": claim(["official", "personal"], CAPACITIES),
}


@st.composite
def decree_claims(draw: st.DrawFn) -> dict[str, object]:
    claims: dict[str, object] = dict(draw(st.sampled_from(DECREE_CLIENTS)))
    for name in draw(st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=2, unique=True)):
        claims[name] = draw(MUTATIONS[name])
    return claims


@SETTINGS
@given(given_claims=decree_claims())
def test_gate_never_allows_what_the_decree_denies(
    shared_gate: Gate, idps: IdPs, given_claims: dict[str, object]
) -> None:
    """Agency, contractor and capacity claims, well-formed or not: a 200 only for a client the
    decree's savings clause covers (stated independently above)."""
    overrides = {name: idps.drop for name in MUTATIONS}  # no claim from the minting defaults
    overrides.update(
        {name: idps.drop if value is ABSENT else value for name, value in given_claims.items()}
    )
    token = idps.rsa.mint(**overrides)
    status = _ask(shared_gate, f"Bearer {token}".encode())
    assert status in (200, 403, 451)
    present = {name: value for name, value in given_claims.items() if value is not ABSENT}
    if status == 200:
        assert oracle_allows_decree(present), present
