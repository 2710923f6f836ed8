"""The starter library: playbooks shipped in the package for the common incident categories.

Each file in ``respond/playbooks/`` is one playbook; its id matches the playbook ids the starter
plan's classification names (``malware-infection``, ``ransomware``...). A playbook loaded into the
database with the same id replaces the shipped one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ironwatch.core.canonical import sha256_hex
from ironwatch.respond.playbook import Playbook
from ironwatch.respond.playbook_loader import parse_playbook

LIBRARY = Path(__file__).resolve().parent / "playbooks"


@dataclass(frozen=True)
class BuiltInPlaybook:
    playbook: Playbook
    text: str
    sha256: str
    source: str


@functools.cache
def built_in_playbooks() -> dict[str, BuiltInPlaybook]:
    """The shipped playbooks by id (parsed once per process)."""
    found: dict[str, BuiltInPlaybook] = {}
    for path in sorted(LIBRARY.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        playbook = parse_playbook(text, source=f"built-in {path.name}")
        found[playbook.id] = BuiltInPlaybook(
            playbook, text, sha256_hex(text.encode()), f"built-in {path.name}"
        )
    return found
