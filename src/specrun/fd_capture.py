"""Capture what C++ code writes to file descriptor 2 (it bypasses Python's ``sys.stderr``):
Ray's client retries, TensorFlow's start-up logs. Core and plugins share this one helper."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


@contextmanager
def stderr_to_tempfile() -> Iterator[IO[bytes]]:
    """Point fd 2 at a temp file for the block; yields the file (read it before the block
    ends, or seek(0) inside it). fd 2 is restored however the block ends."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
