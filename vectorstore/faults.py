"""Named crash points, so tests can kill a process at an exact step without timing games.

``QA_BOT_CRASH_AT=name`` (or ``name:n``) makes the process SIGKILL itself the n-th time
(default: first) it passes ``crash_point(name)``. Unset, a crash point costs one dict lookup.
Used by tests/test_crash_safety.py and listed in docs/reliability.md.
"""

from __future__ import annotations

import os
import signal

_passed: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here, like a power cut or kill -9, if the environment asks for it."""
    spec = os.environ.get("QA_BOT_CRASH_AT")
    if not spec:
        return
    wanted, _, nth = spec.rpartition(":")
    if not nth.isdigit():
        wanted, nth = spec, "1"
    if wanted != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(nth):
        os.kill(os.getpid(), signal.SIGKILL)
