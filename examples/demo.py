"""Print ready-made development tokens and curl commands, then serve the example API.

python -m examples.demo [--port 8000] [--no-serve]
"""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

import jwt

DEV = Path(__file__).parent / "dev"
DEV_ISSUER = "https://dev-idp.jurisgate.invalid"
DEV_AUDIENCE = "face-search-api"

CLIENTS = {
    "fbi-hq": ("FBI headquarters", "federal_law_enforcement", "US", "US-DC"),
    "fbi-chicago": ("FBI Chicago field office", "federal_law_enforcement", "US", "US-IL"),
    "illinois-state-police": ("Illinois State Police", "state_law_enforcement", "US", "IL"),
    "nypd": ("NYPD", "local_law_enforcement", "US", "US-NY"),
    "texas-company": ("a Texas company", "private_company", "US", "Texas"),
    "ukraine-police": ("Ukrainian National Police", "foreign_law_enforcement", "UA", None),
    "sheriff-no-region": (
        "a sheriff whose token has no region",
        "local_law_enforcement",
        "US",
        None,
    ),
}


def dev_token(
    subject: str, entity_type: str, country: str, region: str | None, lifetime: int = 8 * 3600
) -> str:
    """Sign a token with the public development key. Development only."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + lifetime,
        "entity_type": entity_type,
        "country": country,
    }
    if region is not None:
        claims["region"] = region
    key = (DEV / "dev_idp_private.pem").read_bytes()
    return jwt.encode(claims, key, algorithm="RS256")


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
    for subject, (label, entity_type, country, region) in CLIENTS.items():
        token = dev_token(subject, entity_type, country, region)
        print(f"# {label}: entity_type={entity_type} country={country} region={region}")
        url = shlex.quote(base + "/search?q=avery")
        print(f"  curl -i {url} -H 'Authorization: Bearer {token}'\n")
    if args.no_serve:
        return
    import uvicorn  # only the serving demo needs it

    uvicorn.run("examples.search_api:app", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
