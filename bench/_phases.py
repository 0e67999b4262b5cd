"""Helpers for the benchmarks: run each phase in its own process and report seconds and peak memory.

Peak memory is the child's maximum resident set size (``ru_maxrss``), so each phase is measured alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def run_phase(script: Path, phase: str, *args: str) -> dict:
    """Run ``script --phase PHASE ARGS`` in a child process; returns its JSON result + wall seconds."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(script), "--phase", phase, *args], check=False, capture_output=True,
                         text=True)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"phase {phase} failed")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(wall, 2)
    return result


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**values) -> None:
    """The child's last stdout line: its result as JSON."""
    values["peak_mb"] = round(peak_mb(), 1)
    print(json.dumps(values))
