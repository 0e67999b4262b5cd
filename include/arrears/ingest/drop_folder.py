"""The landlord's CSV drop folder: import what is there, archive it, remember the counts.

After a successful import the files move to ``<drop>/archive/<timestamp>/`` (so the next run does not load
them again) and the counts, including quarantined rows, are written to ``var/last_import.json``: every plan
step's run summary reports them. A file-level error loads nothing and leaves the files in place.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from arrears.core.files import ensure_dir, write_atomic
from arrears.core.settings import var_dir


def run_drop_folder_import(drop_dir: str | Path, engine=None) -> dict:
    """Import the CSV files of ``drop_dir``; returns counts (``{"skipped": True}`` when there is none)."""
    from arrears.core.db import engine_for, migrate
    from arrears.ingest.importer import import_dir

    drop = Path(drop_dir)
    files = sorted(p for p in drop.glob("*.csv") if p.is_file()) if drop.exists() else []
    if not files:
        return {"skipped": True, "drop_dir": str(drop)}
    if engine is None:
        migrate()
        engine = engine_for()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    report = import_dir(engine, drop, quarantine_dir=ensure_dir(drop / "quarantine" / stamp))
    counts = {
        "imported_at": stamp,
        "read": {name: f.read for name, f in report.files.items()},
        "loaded": {name: f.loaded for name, f in report.files.items()},
        "quarantined": {name: f.quarantined for name, f in report.files.items() if f.quarantined},
        "quarantine_files": [str(p) for p in report.quarantine_paths],
        "missing": list(report.missing),
    }
    archive = ensure_dir(drop / "archive" / stamp)
    for path in files:
        shutil.move(str(path), archive / path.name)
    write_atomic(var_dir() / "last_import.json", json.dumps(counts, indent=2))
    print(report.summary())
    return counts
