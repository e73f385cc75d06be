"""``jurisgate policy publish``: declare the policy files complete, so the gates may apply them.

Run it after the last write of a policy change. It reads the configured files once (the
``[items] files`` too), validates exactly those bytes as the gate would, item rules included
(with a store: the model file and the ``[items] files``), and writes the
manifest last and atomically (see policy_manifest.py). Files that change while it reads them
are refused, so a publish cannot record a write in progress either.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jurisgate.middleware.config.gate_config import PolicySettings
from jurisgate.middleware.config.loading import engine_from_text
from jurisgate.middleware.config.policy_in_force import policy_in_force
from jurisgate.middleware.config.policy_manifest import Manifest, write_manifest
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.errors import PolicyError
from jurisgate.middleware.results.packs import ItemSettings

from .files import add_config_option, announce, config_for_command

__all__ = ["publish_policy", "published_files"]


def publish_policy(
    settings: PolicySettings, items: ItemSettings | None = None
) -> tuple[Manifest, PolicyEngine]:
    """Validate the configured policy files and ``[items] files`` (with the item rules they
    and the policy's p2 rows make) and record them in the manifest; returns the manifest and
    the engine the gates will build. Raises PolicyError (nothing is written)."""
    manifest = settings.manifest_path
    if settings.model is None or manifest is None:
        raise PolicyError("[policy] names no policy files to publish (the bundled pack is fixed)")
    items = items if items is not None else ItemSettings()
    contents = {file: _read(file) for file in published_files(settings, items)}
    engine = _validate(settings, contents)
    texts = {file: _text(file, contents[file]) for file in items.files}
    policy_in_force(engine, items, texts=texts)  # the gates refuse invalid item rules too
    for file, content in contents.items():
        if _read(file) != content:
            raise PolicyError(f"{file} changed while it was being published; publish again")
    version = engine.version if settings.policy is not None else None
    return write_manifest(manifest, contents, version), engine


def published_files(
    settings: PolicySettings, items: ItemSettings | None = None
) -> tuple[Path, ...]:
    """The files a manifest covers: model and policy (with a store the model alone), then the
    ``[items] files``."""
    if settings.model is None:
        return ()
    own = (settings.model,) if settings.policy is None else (settings.model, settings.policy)
    return (*own, *(items.files if items is not None else ()))


def register(policy_commands: Any) -> None:
    """Add ``policy publish`` to the ``policy`` command's sub-commands."""
    publish = policy_commands.add_parser(
        "publish",
        help="declare the policy files complete: validate them and write the manifest",
        description="Validate the configured policy files (with a store: the model file) "
        "and write the manifest that records them and their SHA-256 digests, "
        "last and atomically. Gates watching the files apply a change only once it is "
        "published. With [cache] redis_url set, the new version is announced too.",
    )
    add_config_option(publish)
    publish.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    config = config_for_command(args.config, "policy publish")
    manifest, engine = publish_policy(config.policy, config.items)
    print(f"published {config.policy.manifest_path}")
    for file in published_files(config.policy, config.items):
        print(f"  {file}")
    print(f"  published at:   {manifest.published_at}")
    if manifest.version is None:  # a store: the version depends on its rows too
        print("  the rows stay those in the store (`jurisgate policy push` replaces them)")
    else:
        print(f"  policy version: {manifest.version} ({len(engine.rules)} rules)")
    announce(config, manifest.version or engine.version)
    return 0


def _validate(settings: PolicySettings, contents: dict[Path, bytes]) -> PolicyEngine:
    if settings.model is None:
        raise PolicyError("[policy] names no model file")
    model_text = _text(settings.model, contents[settings.model])
    if settings.policy is None:
        # With a store only the model is a file: checked alone here (request fields, effect,
        # matcher); its rows are validated by `policy push`, and with the model by each gate.
        return PolicyEngine(PolicySource(model_text, (), str(settings.model), "(no rows)"))
    origin = str(settings.policy)
    policy_text = _text(settings.policy, contents[settings.policy])
    engine = engine_from_text(model_text, str(settings.model), policy_text, origin)
    if not engine.rules:
        raise PolicyError(f"{origin}: no policy rules to publish")
    return engine


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{file}: cannot read it ({exc.strerror})") from exc


def _text(file: Path, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{file}: not UTF-8 ({exc})") from exc
