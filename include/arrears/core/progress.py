"""Progress a person can follow during long commands (demo, run, import, report).

One plain line per unit of work done (a rendered chunk, an imported file, a step run), with the counts and an
estimate of what is left, printed at once to standard error: standard output stays for what a command writes
(CSV, paths). Under ``dag.test`` (``./dev run``, the demo) the line reaches the terminal; under the scheduler
it goes to the task's log. Lines carry counts and lease-free figures only (no tenant data).
"""

from __future__ import annotations

import sys


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def remaining(elapsed: float, done: float, total: float) -> str:
    """What is left at the pace so far: ``about 2 min 10 s left``; ``done`` when nothing is."""
    if done >= total:
        return "done"
    if done <= 0 or elapsed <= 0:
        return "estimating"
    return f"about {duration(elapsed / done * (total - done))} left"


def count(n: int) -> str:
    """Thousands grouped with a space, as French readers write them (``1 150``)."""
    return f"{n:,}".replace(",", " ")


def emit(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
