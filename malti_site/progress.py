"""A progress bar for long management commands, on stderr so stdout stays the command's answer."""

import sys
import time


class ProgressBar:
    """`[#####.....]  50%  label` redrawn in place on a terminal; a line every few seconds elsewhere (logs, CI)."""

    WIDTH = 30
    LOG_EVERY = 5.0  # seconds between lines when not on a terminal

    def __init__(self, total: float, stream=None, enabled: bool = True):
        self.total = max(total, 1)
        self.done = 0.0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.on_terminal = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_line = 0.0

    def advance(self, amount: float = 1, label: str = ""):
        self.update(self.done + amount, label)

    def update(self, done: float, label: str = ""):
        self.done = min(done, self.total)
        if not self.enabled:
            return
        share = self.done / self.total
        filled = int(share * self.WIDTH)
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  {label}"
        if self.on_terminal:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
        elif time.monotonic() - self.last_line >= self.LOG_EVERY or self.done >= self.total:
            self.stream.write(line + "\n")
            self.last_line = time.monotonic()

    def close(self):
        if self.enabled and self.on_terminal:
            self.stream.write("\n")
            self.stream.flush()
