"""Where warnings go by default.

A proxy rather than ``sys.stderr`` itself as a default argument, so redirection
done after import (pytest's capture, ``contextlib.redirect_stderr``) is honoured.
"""

from __future__ import annotations

import sys
from typing import TextIO, cast


class _CurrentStderr:
    def write(self, s: str) -> int:
        return sys.stderr.write(s)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR: TextIO = cast(TextIO, _CurrentStderr())
