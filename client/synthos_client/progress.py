"""A progress bar on stderr: redrawn in place on a terminal, a line per 10% step in CI logs."""

from __future__ import annotations

import sys
from typing import BinaryIO, TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, *, stream: TextIO | None = None, enabled: bool = True):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last: tuple[int, str] | None = None

    def update(self, percent: float, note: str = "") -> None:
        if not self.enabled:
            return
        percent = max(0, min(100, int(percent)))
        step = percent if self.is_tty else percent // 10 * 10
        if self._last == (step, note):
            return
        self._last = (step, note)
        filled = WIDTH * percent // 100
        line = f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {percent:3d}% {note}".rstrip()
        if self.is_tty:
            self.stream.write(f"\r\033[K{line}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.is_tty and self._last is not None:
            self.stream.write("\n")
            self.stream.flush()


class ReadProgress:
    """Wraps a binary file so that every block http.client reads moves the bar."""

    def __init__(self, handle: BinaryIO, size: int, bar: ProgressBar):
        self.handle, self.size, self.bar, self.done = handle, size, bar, 0

    def read(self, amount: int = -1) -> bytes:
        block = self.handle.read(amount)
        self.done += len(block)
        self.bar.update(100 * self.done / self.size if self.size else 100, f"{self.done / 1e6:.1f} MB")
        return block
