"""The monthly KPIs for management (DATA.md "KPIs", PLAN.md "What each audience receives").

Every figure is computed for a month M (``YYYY-MM``) at its period end D = the last day of M, in SQL
(``include/sql/kpis/``, bind parameters only, the same text on SQLite and PostgreSQL); date arithmetic is
done here in Python and passed as parameters. Amounts are integer cents; rates are ratios (0.035 = 3.5 %),
``None`` when their denominator is 0.

Definitions (the report prints the French text of :data:`DEFINITIONS` under each figure):

- **balance** of a lease at D: DATA.md's (``include/sql/shared/balances_at.sql``).
- **debt** at D: the sum of the positive balances of the leases in place or departed at D (credit balances
  are not netted against debts; a lease not yet in force counts nowhere).
- **12-month window**: the 12 calendar months ending with M, i.e. [first day of M − 11 months, D].
- **amount billed**: the sum of ``amount_cents`` of ``rent`` and ``charges`` entries (credit notes of those
  kinds included) whose coalesce(due_on, posted_on) lies in the window, over every lease (in place,
  departed, departed during the window). Fees, SLS and adjustments are not billing.
- **receipts**: minus the sum of ``amount_cents`` of ``payment``, ``direct_debit``, ``benefit`` (housing benefit
  paid to the landlord) and ``direct_debit_reject`` entries (a reject is positive, so it comes off) posted in
  the window, over every lease.
- **arrears rate** = debt at D ÷ amount billed over the window.
- **recovery rate** = receipts over the window ÷ amount billed over the window.
- **share of tenants in debt** = in-place leases with balance > 0 at D ÷ in-place leases at D.
- **trend**: the three rates at the end of each of the 12 months M − 11 … M, each with its own window. A point
  is **partial** when its window starts before the month of the first ledger entry (the earliest posting or due
  date): its billing covers fewer than 12 months, so its rates are not comparable with a full year's.
- **debt by status**: debtors (balance > 0) and debt at D by occupancy (in place, departed) and stage.
- **debt age**: the debtors at D bucketed by the month of their FIFO debt since (DATA.md): debt since in M
  → "< 1 month"; in M − 1 or M − 2 → "1–3 months"; M − 3 … M − 5 → "3–6"; M − 6 … M − 11 → "6–12";
  M − 12 or earlier → "12 months and more". Each debtor's whole balance counts in its bucket.
- **plan steps**: for each of the 15 steps, what the pipeline recorded for period M: leases in the journal,
  letters by class (documents), tasks, step 11's transfer proposals, and the pipeline's actions by kind
  (transfers to litigation, write-offs, files closed, mandates cancelled). Zeros when the step did not run.
- **debtor profiles**: the ``profile`` of each lease's latest journal decision of period M (one per lease).
- **social supports**: supports with supported_on in the month M and in the year to date
  (1 January of M's year … D), per agency of the lease: supports, qualified share against the 90 % target,
  reinforced supports, households supported (distinct leases); and by domain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine

from arrears.core.calendar import month_end, month_key, shift_month
from arrears.core.ledger import average_cents, div_round  # noqa: F401 (average_cents: the report's)
from arrears.core.sqlfiles import bound_query, load_sql
from arrears.decide.decision import LETTER_TYPES, PROFILES
from arrears.report.definitions import (
    AGE_BUCKETS,
    DOMAIN_LABELS,
    REFERENCES,
    STAGE_LABELS,
    STATUS_LABELS,
    STEP_TITLES,
    SUPPORT_QUALIFIED_TARGET,
)

# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(month: str) -> tuple[int, int]:
    """``"2025-09"`` → ``(2025, 9)``; anything else raises ``ValueError``."""
    match = _MONTH_RE.match(str(month).strip())
    if not match:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return int(match.group(1)), int(match.group(2))


def _month_end(year: int, month: int) -> dt.date:
    return month_end(dt.date(year, month, 1))


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None



@dataclass
class RateFigures:
    """The numerators and denominators of the three sector rates (one agency, or all)."""

    debt_cents: int = 0
    billed_cents: int = 0
    receipts_cents: int = 0
    in_place_leases: int = 0
    in_place_in_debt: int = 0

    @property
    def arrears_rate(self) -> float | None:
        return _ratio(self.debt_cents, self.billed_cents)

    @property
    def recovery_rate(self) -> float | None:
        return _ratio(self.receipts_cents, self.billed_cents)

    @property
    def share_in_debt(self) -> float | None:
        return _ratio(self.in_place_in_debt, self.in_place_leases)

    def add(self, other: RateFigures) -> None:
        self.debt_cents += other.debt_cents
        self.billed_cents += other.billed_cents
        self.receipts_cents += other.receipts_cents
        self.in_place_leases += other.in_place_leases
        self.in_place_in_debt += other.in_place_in_debt

    def rates(self) -> dict[str, float | None]:
        return {"arrears_rate": self.arrears_rate, "recovery_rate": self.recovery_rate,
                "share_in_debt": self.share_in_debt}


@dataclass
class AgencyRates(RateFigures):
    agency_id: str = ""
    agency_name: str = ""


@dataclass
class TrendPoint:
    month: str            # YYYY-MM
    period_end: dt.date
    figures: RateFigures
    months_covered: int = 12  # months of the 12-month window on or after the first ledger entry's month

    @property
    def partial(self) -> bool:
        """The window starts before the first ledger entry: fewer than 12 months of billing behind it."""
        return self.months_covered < 12


@dataclass
class StatusLine:
    """Debtors and debt for one (status, stage), across agencies or for one agency."""

    status: str           # in_place / departed
    stage: str            # precontentieux / contentieux
    debtors: int = 0
    debt_cents: int = 0

    @property
    def label(self) -> str:
        return f"{STATUS_LABELS[self.status]} — {STAGE_LABELS.get(self.stage, self.stage)}"


@dataclass
class AgencyDebt:
    agency_id: str
    agency_name: str
    lines: list[StatusLine]

    def amount(self, status: str, stage: str | None = None) -> int:
        return sum(x.debt_cents for x in self.lines if x.status == status and stage in (None, x.stage))

    @property
    def debt_cents(self) -> int:
        return sum(x.debt_cents for x in self.lines)

    @property
    def debtors(self) -> int:
        return sum(x.debtors for x in self.lines)


@dataclass
class AgeBucket:
    key: str
    label: str
    in_place_debtors: int = 0
    in_place_debt_cents: int = 0
    departed_debtors: int = 0
    departed_debt_cents: int = 0

    @property
    def debtors(self) -> int:
        return self.in_place_debtors + self.departed_debtors

    @property
    def debt_cents(self) -> int:
        return self.in_place_debt_cents + self.departed_debt_cents


@dataclass
class StepActivity:
    step: int
    title: str
    runs: int = 0                 # non-dry runs recorded in step_runs for the month
    last_as_of: dt.date | None = None
    last_status: str | None = None
    cohort: int = 0               # leases in the journal (or the run summary's cohort size)
    letters: int = 0              # simple letters
    registered_letters: int = 0   # LRAR
    other_documents: int = 0      # transfer files, write-off forms
    tasks: int = 0
    transfer_proposals: int = 0   # step 11
    transfers: int = 0            # transfer_litigation actions (step 6)
    write_offs: int = 0           # write_off actions (after approval)
    write_off_proposals: int = 0  # write-off forms proposed (journal decisions with write_off_proposed)
    files_closed: int = 0         # file_closed actions (step 2)
    mandates_cancelled: int = 0
    debt_cents: int = 0           # sum of the balances in the journal decisions (figures.balance_cents)

    @property
    def ran(self) -> bool:
        """The step ran this month: a recorded run, a journal row, or anything it produced."""
        return self.runs > 0 or any((self.cohort, self.letters, self.registered_letters, self.other_documents,
                                     self.tasks, self.transfer_proposals, self.transfers, self.write_offs,
                                     self.write_off_proposals, self.files_closed, self.mandates_cancelled))


@dataclass
class ProfileCount:
    code: str
    label: str
    leases: int = 0
    debt_cents: int = 0


@dataclass
class SupportLine:
    agency_id: str
    agency_name: str
    supports: int = 0
    qualified: int = 0
    reinforced: int = 0
    households: int = 0
    in_place_leases: int = 0

    @property
    def qualified_share(self) -> float | None:
        return _ratio(self.qualified, self.supports)

    @property
    def meets_target(self) -> bool | None:
        share = self.qualified_share
        return None if share is None else share >= SUPPORT_QUALIFIED_TARGET

    @property
    def households_share(self) -> float | None:
        return _ratio(self.households, self.in_place_leases)


@dataclass
class DomainLine:
    domain: str
    label: str
    supports: int
    households: int
    reinforced: int


@dataclass
class MonthlyKpis:
    month: str
    period_start: dt.date
    period_end: dt.date
    window_start: dt.date
    year_start: dt.date
    total: RateFigures
    agencies: list[AgencyRates]
    trend: list[TrendPoint]
    debt_by_status: list[StatusLine]
    debt_by_agency: list[AgencyDebt]
    age_buckets: list[AgeBucket]
    steps: list[StepActivity]
    profiles: list[ProfileCount]
    supports_month: list[SupportLine]
    supports_ytd: list[SupportLine]
    domains_ytd: list[DomainLine]
    references: dict[str, dict[str, float]] = field(default_factory=lambda: REFERENCES)
    support_target: float = SUPPORT_QUALIFIED_TARGET
    first_entry_on: dt.date | None = None  # the earliest posting or due date in the ledger

    @property
    def partial_points(self) -> list[TrendPoint]:
        return [p for p in self.trend if p.partial]

    @property
    def debtors(self) -> int:
        return sum(x.debtors for x in self.debt_by_status)

    def supports_total(self, which: str = "ytd") -> SupportLine:
        lines = self.supports_ytd if which == "ytd" else self.supports_month
        total = SupportLine("", "Total")
        for line in lines:
            total.supports += line.supports
            total.qualified += line.qualified
            total.reinforced += line.reinforced
            total.households += line.households
            total.in_place_leases += line.in_place_leases
        return total

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"].update(self.total.rates())
        for item, src in zip(data["agencies"], self.agencies, strict=True):
            item.update(src.rates())
        for item, src in zip(data["trend"], self.trend, strict=True):
            item["figures"].update(src.figures.rates())
            item["partial"] = src.partial
        return data


# --------------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------------


def run_sql(conn: Connection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run ``include/sql/kpis/<name>.sql`` with bind parameters (dates typed as ``Date``, lists expanded)."""
    stmt = bound_query(load_sql(f"kpis/{name}"), params)
    return [dict(row) for row in conn.execute(stmt, params).mappings()]


def _int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value)
    return int(value)


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def agency_rates(conn: Connection, as_of: dt.date, window_start: dt.date) -> list[AgencyRates]:
    """The three rates' numerators and denominators per agency at ``as_of`` over [window_start, as_of]."""
    rows = run_sql(conn, "agency_rates", as_of=as_of, window_start=window_start)
    return [
        AgencyRates(
            agency_id=r["agency_id"], agency_name=r["agency_name"], debt_cents=_int(r["debt_cents"]),
            billed_cents=_int(r["billed_cents"]), receipts_cents=_int(r["receipts_cents"]),
            in_place_leases=_int(r["in_place_leases"]), in_place_in_debt=_int(r["in_place_in_debt"]),
        )
        for r in rows
    ]


def _total(lines: list[AgencyRates]) -> RateFigures:
    total = RateFigures()
    for line in lines:
        total.add(line)
    return total


def first_entry_on(conn: Connection) -> dt.date | None:
    """The date of the first ledger entry: its earliest posting date or due date (``None`` when empty)."""
    row = run_sql(conn, "first_ledger_entry")[0]
    dates = [d for d in (_date(row["first_posted_on"]), _date(row["first_effective_on"])) if d is not None]
    return min(dates) if dates else None


def months_covered(year: int, month: int, first_on: dt.date | None) -> int:
    """How many of the 12 months ending with (year, month) are on or after the month of ``first_on``."""
    if first_on is None:
        return 0
    before = (year * 12 + month - 1) - (first_on.year * 12 + first_on.month - 1)  # months M is after the first
    return max(0, min(12, before + 1))


def _window_start(year: int, month: int) -> dt.date:
    y, m = shift_month(year, month, -11)
    return dt.date(y, m, 1)


def _debt_by_status(conn: Connection, as_of: dt.date, names: dict[str, str]):
    rows = run_sql(conn, "debt_by_status", as_of=as_of)
    keys = [(status, stage) for status in STATUS_LABELS for stage in STAGE_LABELS]
    totals = {k: StatusLine(*k) for k in keys}
    per_agency: dict[str, dict[tuple[str, str], StatusLine]] = {
        a: {k: StatusLine(*k) for k in keys} for a in names
    }
    for r in rows:
        key = (r["status"], r["stage"])
        if key not in totals:  # an unknown stage: shown as its own line rather than dropped
            totals[key] = StatusLine(*key)
            for lines in per_agency.values():
                lines[key] = StatusLine(*key)
        agency = per_agency.setdefault(r["agency_id"], {k: StatusLine(*k) for k in totals})
        for target in (totals[key], agency[key]):
            target.debtors += _int(r["debtors"])
            target.debt_cents += _int(r["debt_cents"])
    by_agency = [
        AgencyDebt(agency_id=a, agency_name=names.get(a, a), lines=list(lines.values()))
        for a, lines in per_agency.items()
    ]
    return list(totals.values()), by_agency


def _age_buckets(conn: Connection, year: int, month: int, as_of: dt.date) -> list[AgeBucket]:
    cuts = {f"cut_{n}m": _month_end(*shift_month(year, month, -n)) for n in (1, 3, 6, 12)}
    rows = run_sql(conn, "debt_age", as_of=as_of, **cuts)
    buckets = {key: AgeBucket(key, label) for key, label in AGE_BUCKETS}
    for r in rows:
        bucket = buckets[r["bucket"]]
        if r["status"] == "in_place":
            bucket.in_place_debtors += _int(r["debtors"])
            bucket.in_place_debt_cents += _int(r["debt_cents"])
        else:
            bucket.departed_debtors += _int(r["debtors"])
            bucket.departed_debt_cents += _int(r["debt_cents"])
    return list(buckets.values())


_SUMMARY_COHORT_KEYS = ("cohort_size", "cohort")


def _steps(conn: Connection, period: str, decisions: list[dict[str, Any]]) -> list[StepActivity]:
    steps = {n: StepActivity(step=n, title=title) for n, title in STEP_TITLES.items()}

    def get(step: int) -> StepActivity:
        return steps.setdefault(step, StepActivity(step=step, title=f"Étape {step}"))

    summary_cohort: dict[int, int] = {}
    for r in run_sql(conn, "step_runs", period=period):
        if r["dry_run"]:
            continue
        activity = get(_int(r["step"]))
        activity.runs += 1
        as_of = _date(r["as_of"])
        if as_of and (activity.last_as_of is None or as_of > activity.last_as_of):
            activity.last_as_of = as_of
        activity.last_status = r["status"]
        summary = _json(r["summary"])
        for key in _SUMMARY_COHORT_KEYS:
            if isinstance(summary.get(key), int) and not isinstance(summary.get(key), bool):
                summary_cohort[activity.step] = summary[key]
                break

    for r in run_sql(conn, "step_activity", period=period, letter_types=list(LETTER_TYPES)):
        activity = get(_int(r["step"]))
        n = _int(r["n"])
        source, kind = r["source"], r["kind"]
        if source == "journal":
            activity.cohort = n
        elif source == "documents":
            if kind == "registered":
                activity.registered_letters += n
            elif kind == "simple":
                activity.letters += n
            else:
                activity.other_documents += n
        elif source == "tasks":
            activity.tasks += n
        elif source == "proposals":
            activity.transfer_proposals += n
        elif source == "actions":
            if kind == "transfer_litigation":
                activity.transfers += n
            elif kind == "write_off":
                activity.write_offs += n
            elif kind == "file_closed":
                activity.files_closed += n
            elif kind == "mandate_cancelled":
                activity.mandates_cancelled += n

    for step, size in summary_cohort.items():
        # The run summary's cohort counts every lease in the cohort, the journal only those decided on.
        steps[step].cohort = max(steps[step].cohort, size)

    # Letters as the journal saw them (recorded rows whose decision has a letter and that got a document):
    # the documents table may be filled later than the journal, so each step keeps the larger count.
    journal_letters: dict[int, list[int]] = {}
    for d in decisions:
        activity = get(_int(d["step"]))
        if not activity.runs:  # no recorded run (the journal was filled another way): its latest date
            as_of = _date(d["as_of"])
            if as_of and (activity.last_as_of is None or as_of > activity.last_as_of):
                activity.last_as_of = as_of
        decision = _json(d["decision"])
        balance = (decision.get("figures") or {}).get("balance_cents")
        if isinstance(balance, int | float) and balance > 0:
            activity.debt_cents += int(balance)
        if d["status"] != "recorded":
            continue
        counts = journal_letters.setdefault(activity.step, [0, 0])
        letter = decision.get("letter")
        if letter and d["document_id"]:
            registered = bool(d["registered_number"]) or bool(letter.get("registered"))
            counts[1 if registered else 0] += 1
        changes = decision.get("changes") or []
        activity.write_off_proposals += sum(1 for c in changes if c.get("kind") == "write_off_proposed")
    for step, (simple, registered) in journal_letters.items():
        steps[step].letters = max(steps[step].letters, simple)
        steps[step].registered_letters = max(steps[step].registered_letters, registered)
    return [steps[k] for k in sorted(steps)]


def _profiles(decisions: list[dict[str, Any]]) -> list[ProfileCount]:
    latest: dict[str, dict[str, Any]] = {}
    for d in decisions:  # ordered by lease, as_of, journal_id: the last one wins
        latest[d["lease_id"]] = _json(d["decision"])
    counts = {code: ProfileCount(code, label) for code, label in sorted(PROFILES.items())}
    for decision in latest.values():
        code = decision.get("profile")
        if not code:
            continue
        line = counts.setdefault(code, ProfileCount(code, str(code)))
        line.leases += 1
        balance = (decision.get("figures") or {}).get("balance_cents")
        if isinstance(balance, int | float) and balance > 0:
            line.debt_cents += int(balance)
    order = ["P1", "P2", "P3", "P4", "P0"]
    return sorted(counts.values(), key=lambda x: order.index(x.code) if x.code in order else 99)


def _supports(conn: Connection, from_on: dt.date, to_on: dt.date,
              in_place: dict[str, int]) -> list[SupportLine]:
    return [
        SupportLine(agency_id=r["agency_id"], agency_name=r["agency_name"], supports=_int(r["supports"]),
                    qualified=_int(r["qualified"]), reinforced=_int(r["reinforced"]),
                    households=_int(r["households"]), in_place_leases=in_place.get(r["agency_id"], 0))
        for r in run_sql(conn, "social_supports", from_on=from_on, to_on=to_on)
    ]


def _domains(conn: Connection, from_on: dt.date, to_on: dt.date) -> list[DomainLine]:
    return [
        DomainLine(domain=r["domain"], label=DOMAIN_LABELS.get(r["domain"], r["domain"]),
                   supports=_int(r["supports"]), households=_int(r["households"]),
                   reinforced=_int(r["reinforced"]))
        for r in run_sql(conn, "social_support_domains", from_on=from_on, to_on=to_on)
    ]


def compute_kpis(engine: Engine | Connection, month: str) -> MonthlyKpis:
    """Every figure of the monthly report for ``month`` (``YYYY-MM``), at its last day."""
    if isinstance(engine, Connection):
        return _compute(engine, month)
    with engine.connect() as conn:
        return _compute(conn, month)


def _compute(conn: Connection, month: str) -> MonthlyKpis:
    year, mon = parse_month(month)
    period = month_key(year, mon)
    as_of = _month_end(year, mon)

    agencies = agency_rates(conn, as_of, _window_start(year, mon))
    names = {a.agency_id: a.agency_name for a in agencies}
    first_on = first_entry_on(conn)
    trend = []
    for back in range(11, -1, -1):
        y, m = shift_month(year, mon, -back)
        lines = agencies if back == 0 else agency_rates(conn, _month_end(y, m), _window_start(y, m))
        trend.append(TrendPoint(month=month_key(y, m), period_end=_month_end(y, m), figures=_total(lines),
                                months_covered=months_covered(y, m, first_on)))

    status_lines, by_agency = _debt_by_status(conn, as_of, names)
    decisions = run_sql(conn, "journal_decisions", period=period)
    in_place = {a.agency_id: a.in_place_leases for a in agencies}
    year_start = dt.date(year, 1, 1)
    return MonthlyKpis(
        month=period,
        period_start=dt.date(year, mon, 1),
        period_end=as_of,
        window_start=_window_start(year, mon),
        year_start=year_start,
        total=_total(agencies),
        agencies=agencies,
        trend=trend,
        debt_by_status=status_lines,
        debt_by_agency=by_agency,
        age_buckets=_age_buckets(conn, year, mon, as_of),
        steps=_steps(conn, period, decisions),
        profiles=_profiles(decisions),
        supports_month=_supports(conn, dt.date(year, mon, 1), as_of, in_place),
        supports_ytd=_supports(conn, year_start, as_of, in_place),
        domains_ytd=_domains(conn, year_start, as_of),
        first_entry_on=first_on,
    )
