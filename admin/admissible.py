"""``jurisgate admissible``: may a crawler keep a photo with these provenance facts?

``jurisgate admissible --config C --facts FACTS.json [--at T] [--json]`` answers as the
library call ``admissible(facts, at=..., rules=...)`` does (it calls it), with the
``collected_in`` item rules the configuration puts in force (``[items]`` packs, files and
disabled_rules, and the policy files' own ``p2`` rows): the result filter's rules.
``--image PHOTO`` adds the location the image file carries (EXIF GPS, IPTC/XMP place; needs
``jurisgate[ingest]``) to the facts the file does not give.

Exit codes: 0 admissible, 1 not admissible, 2 usage, config or facts error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.ingest import admissible, read_image_location

from .files import add_config_option, instant_option, read_json_object
from .item_explain import item_policy_for_config

__all__ = ["register"]

EXIT_ADMISSIBLE, EXIT_REFUSED = 0, 1


def register(commands: Any) -> None:
    """Add ``admissible`` to the command line."""
    command: argparse.ArgumentParser = commands.add_parser(
        "admissible",
        help="may a crawler keep a photo with these provenance facts (ingest check)",
        description="Apply the ingest rules to a photo's provenance facts: gps [lat, lon], "
        "region (ISO 3166-2), source_url, uploader_location, taken_at. Exit 0: admissible; "
        "1: not admissible; 2: usage, config or facts error.",
    )
    add_config_option(command)
    command.add_argument(
        "--facts", required=True, metavar="FACTS.json", help="JSON object ('-' for stdin)"
    )
    command.add_argument("--image", metavar="PHOTO", help="also read the image's location")
    command.add_argument("--at", help="ISO 8601 collection instant (default: now)")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    rules = item_policy_for_config(args.config)  # a broken config or item rule stops here
    facts = read_json_object(args.facts, "facts")
    if args.image:
        facts = _with_image(facts, args.image)
    at = instant_option(args.at)
    try:
        answer = admissible(facts, at=at, rules=rules)
    except (TypeError, ValueError) as exc:
        raise JurisgateError(f"{args.facts}: {exc}") from exc
    if args.json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False))
    elif answer.admissible:
        print("admissible")
    else:
        print(f"not admissible: rule {answer.rule}")
        if answer.citation:
            print(f"  citation: {answer.citation.text} <{answer.citation.url}>")
    if not args.json:
        for signal in answer.signals:
            print(f"  signal: {signal}")
    return EXIT_ADMISSIBLE if answer.admissible else EXIT_REFUSED


def _with_image(facts: dict[str, Any], path: str) -> dict[str, Any]:
    try:
        found = read_image_location(Path(path).read_bytes())
    except (OSError, ValueError, RuntimeError) as exc:
        raise JurisgateError(f"--image {path}: {exc}") from exc
    return {**found.facts(), **{k: v for k, v in facts.items() if v is not None}}
