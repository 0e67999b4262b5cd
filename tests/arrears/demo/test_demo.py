"""The demo portfolio: deterministic files, both CSV conventions, believable proportions, every cohort.

The 5 000-lease portfolio is generated once per module (a few seconds); the per-archetype checks use the
independent pure-Python reading of DATA.md/PLAN.md in ``arrears.demo.check``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import stat
from collections import Counter
from pathlib import Path

import pytest
from arrears.core.fmt import amount_fr
from arrears.demo.catalogue import BY_NAME, archetype_counts
from arrears.demo.check import STEP_DATES, Facts, in_cohort
from arrears.demo.csv_files import HEADERS, write_demo_csv, write_portfolio
from arrears.demo.portfolio import generate

AS_OF = dt.date(2025, 9, 30)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def _read(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The default portfolio (5 000 leases): its CSV folder and its drafts."""
    out = tmp_path_factory.mktemp("demo5000")
    drafts = []
    portfolio = generate(5000, 2025, AS_OF)
    counts = write_portfolio(out, portfolio, drafts.append)
    return out, drafts, portfolio.calendar, counts


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first = write_demo_csv(tmp_path / "a", leases=120, seed=7)
    write_demo_csv(tmp_path / "b", leases=120, seed=7)
    write_demo_csv(tmp_path / "c", leases=120, seed=8)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["ledger.csv"] != _digest(tmp_path / "c")["ledger.csv"]
    assert set(first) == {f"{name}.csv" for name in HEADERS}


def test_size_flag_and_row_counts(tmp_path):
    counts = write_demo_csv(tmp_path, leases=200)
    leases = _read(tmp_path / "leases.csv")
    assert len(leases) == counts["leases.csv"] == 200
    assert len({row["lease_id"] for row in leases}) == 200
    for name, n in counts.items():
        with (tmp_path / name).open("rb") as fh:
            assert sum(1 for _ in csv.reader(
                line.decode("cp1252" if name in ("tenants.csv", "plans.csv") else "utf-8") for line in fh)
            ) == n + 1
    big_counts = archetype_counts(33_500)
    assert sum(big_counts.values()) == 33_500
    assert big_counts["small_balance"] == round(120 * 33_500 / 5000)
    tiny = archetype_counts(30)
    assert sum(tiny.values()) == 30 and tiny["normal"] == 0


def test_files_are_private_and_written_atomically(tmp_path):
    out = tmp_path / "csv"
    write_demo_csv(out, leases=60)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{name}.csv" for name in HEADERS)  # no temp file left behind
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_plain_and_french_conventions(big):
    out, drafts, _cal, _counts = big
    raw_ledger = (out / "ledger.csv").read_bytes()
    assert b"\r\n" not in raw_ledger[:2000]
    ledger_head = raw_ledger[:200].decode("utf-8")
    assert ledger_head.startswith("entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\n")
    leases = _read(out / "leases.csv")
    assert "rent_cents" in leases[0] and all(row["start_on"][4] == "-" for row in leases)
    assert {row["benefit_to_landlord"] for row in leases} == {"true", "false"}
    assert any(len(row["address_line1"]) > 38 for row in leases)  # long street names exist
    assert any(row["address_line2"] and row["address_line3"] for row in leases)

    tenants_raw = (out / "tenants.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        tenants_raw.decode("utf-8")  # accented names in Windows-1252
    assert tenants_raw.startswith(b"tenant_id;lease_id;is_holder;")
    assert b"\r\n" in tenants_raw[:200]
    tenants = _read(out / "tenants.csv", "cp1252", ";")
    assert {row["is_holder"] for row in tenants} == {"oui", "non"}
    assert {row["is_deceased"] for row in tenants} == {"oui", "non"}
    mobiles = [row["phone_mobile"] for row in tenants if row["phone_mobile"]]
    assert {m[:2] for m in mobiles} == {"06", "07"}

    plans = _read(out / "plans.csv", "cp1252", ";")
    assert "debt_eur" in plans[0] and "debt_cents" not in plans[0]
    assert all("," in row["debt_eur"] and "." not in row["debt_eur"] for row in plans)
    assert any("\u00a0" in row["debt_eur"] for row in plans)  # thousands grouped with a no-break space
    assert all(row["agreed_on"][2] == "/" and row["agreed_on"][5] == "/" for row in plans)
    by_id = {p.plan_id: p for d in drafts for p in d.plans}
    row = plans[0]
    assert row["debt_eur"] == amount_fr(by_id[row["plan_id"]].debt_cents)
    assert amount_fr(123456) == "1\u00a0234,56" and amount_fr(-1250) == "-12,50"


def _balances_from_csv(out: Path, day: dt.date) -> dict[str, int]:
    """DATA.md's balance at ``day``, computed from the written ledger.csv."""
    balance: Counter = Counter()
    with (out / "ledger.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            amount = int(row["amount_cents"])
            effective = (row["due_on"] or row["posted_on"]) if amount > 0 else row["posted_on"]
            if effective <= day.isoformat():
                balance[row["lease_id"]] += amount
    return balance


def test_proportions_of_the_default_portfolio(big):
    out, _drafts, _cal, _counts = big
    leases = _read(out / "leases.csv")
    balance = _balances_from_csv(out, AS_OF)
    in_place = [r for r in leases if r["start_on"] <= AS_OF.isoformat()
                and (not r["end_on"] or r["end_on"] > AS_OF.isoformat())]
    in_debt = [r for r in in_place if balance[r["lease_id"]] > 0]
    share = len(in_debt) / len(in_place)
    assert 0.15 <= share <= 0.20, share
    assert 0.85 <= len(in_place) / len(leases) <= 0.95
    dd = sum(r["payment_method"] == "direct_debit" for r in in_place) / len(in_place)
    assert 0.35 <= dd <= 0.45, dd
    benefit = sum(int(r["benefit_cents"]) > 0 for r in in_place) / len(in_place)
    assert 0.35 <= benefit <= 0.6, benefit
    assert all(30_000 <= int(r["rent_cents"]) <= 80_000 for r in leases)
    assert all(5_000 <= int(r["charges_cents"]) <= 20_000 for r in leases)
    assert len({r["agency_id"] for r in leases}) == 7
    assert all(r["postcode"].startswith("69") for r in leases)
    rejects = _read(out / "dd_rejects.csv")
    assert {"MD07", "AC04", "AC01", "MD01", "AM04", "MS02"} <= {r["reason_code"] for r in rejects}
    supports = _read(out / "social_supports.csv")
    qualified = sum(r["is_qualified"] == "true" for r in supports) / len(supports)
    assert 0.8 <= qualified <= 0.97
    staff = _read(out / "staff.csv")
    assert {r["role"] for r in staff} == {"recovery_officer", "customer_officer", "social_counsellor",
                                          "litigation_officer", "manager"}


def test_every_archetype_lands_where_it_was_built_for(big):
    _out, drafts, cal, _counts = big
    wrong = Counter()
    for draft in drafts:
        facts = Facts(draft)
        for step, attr, member in BY_NAME[draft.archetype].expect:
            if in_cohort(step, facts, getattr(cal, attr), cal) != member:
                wrong[(draft.archetype, step, attr)] += 1
    assert not wrong


def test_every_cohort_has_enough_leases_at_5000(big):
    _out, drafts, cal, _counts = big
    sizes = Counter()
    for draft in drafts:
        facts = Facts(draft)
        for step, attr in STEP_DATES.items():
            sizes[step] += in_cohort(step, facts, getattr(cal, attr), cal)
    assert cal.d1 == dt.date(2025, 9, 1) and cal.d20 == dt.date(2025, 9, 22) and cal.prev_d25 == dt.date(2025, 8, 25)
    assert all(sizes[step] >= 10 for step in STEP_DATES), sizes


def test_every_cohort_is_represented_at_200_leases():
    portfolio = generate(200, 2025, AS_OF)
    cal = portfolio.calendar
    drafts = list(portfolio.leases)
    assert {d.archetype for d in drafts} == set(BY_NAME)
    for step, attr in STEP_DATES.items():
        assert any(in_cohort(step, Facts(d), getattr(cal, attr), cal) for d in drafts), step


def test_import_through_the_real_importer(engine, tmp_path):
    from arrears.ingest.importer import import_dir
    from sqlalchemy import text

    counts = write_demo_csv(tmp_path / "csv", leases=300)
    report = import_dir(engine, tmp_path / "csv", quarantine_dir=tmp_path / "quarantine")
    assert sum(f.quarantined for f in report.files.values()) == 0
    with engine.connect() as conn:
        for name, n in counts.items():
            table = name.removesuffix(".csv")
            assert conn.execute(text(f"select count(*) from {table}")).scalar_one() == n, table
        debt = conn.execute(text("select sum(debt_cents) from plans")).scalar_one()
        deceased = conn.execute(text("select count(*) from tenants where is_deceased")).scalar_one()
    plans = _read(tmp_path / "csv" / "plans.csv", "cp1252", ";")
    assert debt == sum(int(r["debt_eur"].replace("\u00a0", "").replace(",", "")) for r in plans)
    assert deceased >= 3


def test_seed_demo_prints_figures_without_names(sqlite_engine, tmp_path, capsys):
    from arrears.demo.seed import seed_demo

    figures = seed_demo(sqlite_engine, leases=150, workdir=tmp_path / "seed")
    printed = capsys.readouterr().out
    assert figures["leases"] == 150 and figures["quarantined rows"] == 0
    assert figures["in place"] + figures["departed"] <= 150
    assert sum(figures["leases per archetype"].values()) == 150
    tenants = _read(tmp_path / "seed" / "tenants.csv", "cp1252", ";")
    assert not any(f"{t['first_name']} {t['last_name']}" in printed for t in tenants)
    assert "in-place share in debt" in printed


def test_project_cohort_sql_agrees_with_the_demo_check(sqlite_engine, tmp_path):
    """The imported demo, read by the project's cohort SQL, gives the leases the independent check gives."""
    cohorts = pytest.importorskip("arrears.select.cohorts")
    from arrears.ingest.importer import import_dir

    write_demo_csv(tmp_path / "csv", leases=300)
    import_dir(sqlite_engine, tmp_path / "csv")
    portfolio = generate(300, 2025, AS_OF)
    cal = portfolio.calendar
    facts = [Facts(d) for d in portfolio.leases]
    for step, attr in STEP_DATES.items():
        day = getattr(cal, attr)
        expected = {f.d.lease_id for f in facts if in_cohort(step, f, day, cal)}
        assert expected, step
        assert set(cohorts.cohort_frame(sqlite_engine, step, day)["lease_id"]) == expected, step
