"""Traffic Light Protocol (FIRST TLP 2.0): who may receive what.

TLP:RED and TLP:AMBER+STRICT content stays with the people on the incident: it never leaves
through exports or notifications to anyone outside it.
"""

from __future__ import annotations

ORDER = ("clear", "green", "amber", "amber+strict", "red")
INSIDE_ONLY = frozenset({"amber+strict", "red"})


def withheld_from_outsiders(tlp: str) -> bool:
    """Whether content marked ``tlp`` may only go to people on the incident."""
    return tlp.lower() in INSIDE_ONLY


def withheld_notice(tlp: str) -> str:
    return f"[withheld: TLP:{tlp.upper()} content is shared only with the people on this incident]"


def above_clearance(tlp: str, clearance: str) -> bool:
    """Whether content marked ``tlp`` is more sensitive than an audience cleared for ``clearance``.

    >>> above_clearance("red", "amber"), above_clearance("green", "amber")
    (True, False)
    """
    return ORDER.index(tlp.lower()) > ORDER.index(clearance.lower())
