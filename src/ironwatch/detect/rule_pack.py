"""Where ironwatch's own rule pack lives, so ``serve`` and the CLI can load it beside user rules."""

from __future__ import annotations

from pathlib import Path

#: Sigma rules and correlation rules written for the fields ironwatch's parsers produce
PACK_DIR = Path(__file__).resolve().parent / "rules" / "ironwatch"
