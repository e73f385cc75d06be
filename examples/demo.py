"""Print ready-made development tokens and curl commands, then serve the example API.

python -m examples.demo [--port 8000] [--no-serve]
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping
from pathlib import Path

import jwt

DEV = Path(__file__).parent / "dev"
DEV_ISSUER = "https://dev-idp.jurisgate.invalid"
DEV_AUDIENCE = "face-search-api"

# subject -> (who they are, their jurisdiction claims). The decree turns on whose agency a
# client belongs to (agency_region), on whose behalf a contractor acts (agency_type) and in
# what capacity, not only on where the office is.
CLIENTS: dict[str, tuple[str, dict[str, str]]] = {
    "fbi-hq": (
        "FBI headquarters",
        {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-DC"},
    ),
    "fbi-chicago": (
        "FBI Chicago field office (strict reading: blocked until 2027-05-11 in Chicago)",
        {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"},
    ),
    "illinois-state-police": (
        "Illinois State Police",
        {"entity_type": "state_law_enforcement", "country": "US", "region": "IL",
         "agency_region": "US-IL"},
    ),
    "isp-in-indiana": (
        "an Illinois State Police officer at a training in Indiana",
        {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN",
         "agency_region": "US-IL"},
    ),
    "chicago-pd-contractor": (
        "a Chicago PD contractor working from Texas",
        {"entity_type": "government_contractor", "agency_type": "local_law_enforcement",
         "agency_region": "US-IL", "country": "US", "region": "US-TX"},
    ),
    "fbi-contractor": (
        "a contractor searching for the FBI from Virginia",
        {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
         "agency_region": "US", "country": "US", "region": "US-VA"},
    ),
    "federal-officer-personal": (
        "a federal officer using a personal account",
        {"entity_type": "federal_law_enforcement", "capacity": "personal", "country": "US",
         "region": "US-VA"},
    ),
    "nypd": (
        "NYPD",
        {"entity_type": "local_law_enforcement", "country": "US", "region": "US-NY",
         "agency_region": "US-NY"},
    ),
    "texas-dot": (
        "Texas DOT",
        {"entity_type": "state_agency", "country": "US", "region": "US-TX",
         "agency_region": "US-TX"},
    ),
    "puerto-rico-police": (
        "Puerto Rico police (the identity provider writes country PR)",
        {"entity_type": "local_law_enforcement", "country": "PR", "agency_region": "PR"},
    ),
    "puerto-rico-company": (
        "a Puerto Rico company",
        {"entity_type": "private_company", "country": "PR"},
    ),
    "texas-company": (
        "a Texas company",
        {"entity_type": "private_company", "country": "US", "region": "Texas"},
    ),
    "california-person": (
        "a person in California",
        {"entity_type": "individual", "country": "US", "region": "US-CA"},
    ),
    "ukraine-police": (
        "Ukrainian National Police",
        {"entity_type": "foreign_law_enforcement", "country": "UA"},
    ),
    "sheriff-no-region": (
        "a sheriff whose token has no region",
        {"entity_type": "local_law_enforcement", "country": "US", "agency_region": "US-TX"},
    ),
    "state-agency-no-agency-region": (
        "a state agency whose token has no agency region",
        {"entity_type": "state_agency", "country": "US", "region": "US-TX"},
    ),
}  # fmt: skip


def dev_token(subject: str, claims: Mapping[str, str], lifetime: int = 8 * 3600) -> str:
    """Sign a token with the public development key. Development only."""
    now = int(time.time())
    payload: dict[str, object] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + lifetime,
        **claims,
    }
    key = (DEV / "dev_idp_private.pem").read_bytes()
    return jwt.encode(payload, key, algorithm="RS256")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="print tokens and exit")
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}"
    print("jurisgate demo: development tokens (public dev key, never use in production)\n")
    print(f"  curl -i {base}/health")
    print(f"  # the opt-out form, in a browser: {base}/opt-out")
    print(
        f"  curl -i {base}/opt-out -H 'Idempotency-Key: demo-opt-out-face-0000' "
        "-F photo=@examples/photos/face-0000.jpg -F residency=US-IL -F attest=yes\n"
    )
    for subject, (label, claims) in CLIENTS.items():
        token = dev_token(subject, claims)
        print(f"# {label}: {' '.join(f'{name}={value}' for name, value in claims.items())}")
        url = shlex.quote(base + "/search?q=avery")
        print(f"  curl -i {url} -H 'Authorization: Bearer {token}'\n")
    if args.no_serve:
        return
    import uvicorn  # only the serving demo needs it

    uvicorn.run("examples.search_api:app", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
