"""The demo portfolio as DATA.md CSV files: the plain convention, and the French ERP convention for
``tenants.csv`` and ``plans.csv`` (``;``, Windows-1252, CRLF, decimal comma, ``dd/mm/yyyy``).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arrears.core.fmt import amount_fr
from arrears.demo.builder import (
    DEFAULT_AS_OF,
    LeaseDraft,
)
from arrears.demo.portfolio import (
    Portfolio,
    generate,
)

# --------------------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------------------

PLAIN = {"delimiter": ",", "lineterminator": "\n", "encoding": "utf-8"}
FRENCH = {"delimiter": ";", "lineterminator": "\r\n", "encoding": "cp1252"}

HEADERS: dict[str, tuple[str, ...]] = {
    "agencies": ("agency_id", "name", "address_line1", "address_line2", "postcode", "city", "phone", "email"),
    "staff": ("staff_id", "agency_id", "role", "first_name", "last_name", "phone", "email"),
    "leases": ("lease_id", "agency_id", "officer_id", "counsellor_id", "start_on", "end_on", "stage",
               "address_line1", "address_line2", "address_line3", "postcode", "city", "rent_cents",
               "charges_cents", "benefit_cents", "benefit_to_landlord", "payment_method", "mandate_active",
               "income_cents", "sls_status", "forwarding_address_line1", "forwarding_address_line2",
               "forwarding_postcode", "forwarding_city", "forwarding_country"),
    "tenants": ("tenant_id", "lease_id", "is_holder", "civility", "first_name", "last_name", "phone_mobile",
                "phone_home", "phone_work", "email", "is_deceased"),
    "ledger": ("entry_id", "lease_id", "posted_on", "due_on", "kind", "amount_cents", "label"),
    "plans": ("plan_id", "lease_id", "kind", "agreed_on", "debt_eur", "status", "closed_on"),
    "plan_installments": ("plan_id", "due_on", "amount_cents"),
    "dd_rejects": ("reject_id", "lease_id", "rejected_on", "amount_cents", "reason_code"),
    "actions": ("action_id", "lease_id", "done_on", "kind", "outcome", "staff_id", "comment"),
    "social_supports": ("support_id", "lease_id", "counsellor_id", "supported_on", "domain", "is_reinforced",
                        "is_qualified"),
}
FRENCH_FILES = ("tenants", "plans")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _french(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class _Files:
    """The ten CSV files, written to temp names in ``out`` and renamed into place together at the end."""

    def __init__(self, out: Path):
        self.out = out
        self.handles: dict[str, tuple[Any, Any, str]] = {}
        self.rows: Counter = Counter()
        for name, header in HEADERS.items():
            style = FRENCH if name in FRENCH_FILES else PLAIN
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.csv.", suffix=".tmp")
            os.chmod(tmp, 0o600)
            fh = open(fd, "w", encoding=style["encoding"], newline="")  # noqa: SIM115 - closed in commit()
            writer = csv.writer(fh, delimiter=style["delimiter"], lineterminator=style["lineterminator"])
            writer.writerow(header)
            self.handles[name] = (fh, writer, tmp)

    def write(self, name: str, values: tuple) -> None:
        fmt = _french if name in FRENCH_FILES else _plain
        self.handles[name][1].writerow([fmt(v) for v in values])
        self.rows[name] += 1

    def commit(self) -> None:
        for name, (fh, _writer, tmp) in self.handles.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, self.out / f"{name}.csv")

    def abort(self) -> None:
        for fh, _writer, tmp in self.handles.values():
            fh.close()
            Path(tmp).unlink(missing_ok=True)


def write_portfolio(out: Path, portfolio: Portfolio, on_lease: Callable[[LeaseDraft], None] | None = None
                    ) -> dict[str, int]:
    from arrears.core.files import ensure_dir

    out = ensure_dir(Path(out))  # new folders owner-only, parents included
    files = _Files(out)
    try:
        for a in portfolio.agencies:
            files.write("agencies", tuple(a[h] for h in HEADERS["agencies"]))
        for s in portfolio.staff:
            files.write("staff", tuple(s[h] for h in HEADERS["staff"]))
        entry_no = action_no = tenant_no = reject_no = support_no = 0
        for d in portfolio.leases:
            files.write("leases", (
                d.lease_id, d.agency_id, d.officer_id, d.counsellor_id, d.start_on, d.end_on, d.stage,
                d.address_line1, d.address_line2, d.address_line3, d.postcode, d.city, d.rent_cents,
                d.charges_cents, d.benefit_cents, d.benefit_to_landlord, d.payment_method, d.mandate_active,
                d.income_cents, d.sls_status, *d.forwarding))
            for t in d.tenants:
                tenant_no += 1
                files.write("tenants", (f"T{tenant_no:07d}", d.lease_id, t["is_holder"], t["civility"],
                                        t["first_name"], t["last_name"], t["phone_mobile"], t["phone_home"],
                                        t["phone_work"], t["email"], t["is_deceased"]))
            for posted, due, kind, amount, label in d.entries:
                entry_no += 1
                files.write("ledger", (f"E{entry_no:09d}", d.lease_id, posted, due, kind, amount, label))
            for p in d.plans:
                files.write("plans", (p.plan_id, d.lease_id, p.kind, p.agreed_on, amount_fr(p.debt_cents),
                                      p.status, p.closed_on))
                for due, amount in p.installments:
                    files.write("plan_installments", (p.plan_id, due, amount))
            for rejected_on, amount, code in d.rejects:
                reject_no += 1
                files.write("dd_rejects", (f"R{reject_no:07d}", d.lease_id, rejected_on, amount, code))
            for done_on, kind, outcome, comment, staff_id in d.actions:
                action_no += 1
                files.write("actions", (f"A{action_no:08d}", d.lease_id, done_on, kind, outcome, staff_id,
                                        comment))
            for supported_on, domain, reinforced, qualified in d.supports:
                support_no += 1
                files.write("social_supports", (f"S{support_no:07d}", d.lease_id, d.counsellor_id,
                                                supported_on, domain, reinforced, qualified))
            if on_lease is not None:
                on_lease(d)
        files.commit()
    except BaseException:
        files.abort()
        raise
    return {f"{name}.csv": files.rows[name] for name in HEADERS}


def write_demo_csv(out: Path, leases: int = 5000, seed: int = 2025, as_of: dt.date = DEFAULT_AS_OF
                   ) -> dict[str, int]:
    """Write the demo portfolio's DATA.md CSV files into ``out``; returns file name → data rows."""
    return write_portfolio(Path(out), generate(leases, seed, as_of))
