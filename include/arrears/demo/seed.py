"""Seeding a database with the demo portfolio: write the CSV files, import them with the real importer."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from arrears.core.fmt import amount_fr
from arrears.demo.builder import (
    DEFAULT_AS_OF,
    LeaseDraft,
)
from arrears.demo.csv_files import (
    write_portfolio,
)
from arrears.demo.portfolio import (
    generate,
)

# --------------------------------------------------------------------------------------------------
# Seeding a database
# --------------------------------------------------------------------------------------------------


def seed_demo(engine, leases: int = 5000, seed: int = 2025, workdir: Path | None = None,
              as_of: dt.date = DEFAULT_AS_OF, echo: bool = True, progress=None) -> dict[str, Any]:
    """Write the demo CSVs into ``workdir`` (default ``var/demo-csv``), import them with the real
    importer, return the portfolio's figures (counts and amounts only, never a name) and print them
    when ``echo``. Raises ``arrears.ingest.importer.ImportError_`` when the import fails as a whole.
    ``progress`` (e.g. ``print``) gets the importer's line per file."""
    from arrears.core import settings
    from arrears.ingest.importer import import_dir

    workdir = Path(workdir) if workdir is not None else settings.var_dir() / "demo-csv"
    portfolio = generate(leases, seed, as_of)
    tally = _Tally(as_of)
    rows = write_portfolio(workdir, portfolio, tally.add)
    report = import_dir(engine, workdir, progress=progress)
    quarantined = sum(f.quarantined for f in report.files.values())
    figures: dict[str, Any] = {
        "leases": tally.leases,
        "in place": tally.in_place,
        "departed": tally.departed,
        "in-place share in debt": f"{100 * tally.in_debt / max(1, tally.in_place):.1f} %",
        "total debt": amount_fr(tally.debt) + " €",
        "in-place debt": amount_fr(tally.in_place_debt) + " €",
        "departed debt": amount_fr(tally.departed_debt) + " €",
        "ledger rows": rows["ledger.csv"],
        "quarantined rows": quarantined,
        "csv folder": str(workdir),
        "rows per file": rows,
        "leases per archetype": dict(sorted(tally.archetypes.items())),
    }
    for key, value in figures.items() if echo else ():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, n in value.items():
                print(f"  {name:<32} {n:>8}")
        else:
            print(f"{key}: {value}")
    return figures


class _Tally:
    def __init__(self, as_of: dt.date):
        self.as_of = as_of
        self.leases = self.in_place = self.departed = self.in_debt = 0
        self.debt = self.in_place_debt = self.departed_debt = 0
        self.archetypes: Counter = Counter()

    def add(self, d: LeaseDraft) -> None:
        self.leases += 1
        self.archetypes[d.archetype] += 1
        balance = d.balance(self.as_of)
        if d.start_on > self.as_of:
            return
        if d.end_on is not None and d.end_on <= self.as_of:
            self.departed += 1
            self.departed_debt += max(0, balance)
        else:
            self.in_place += 1
            self.in_debt += balance > 0
            self.in_place_debt += max(0, balance)
        self.debt += max(0, balance)
