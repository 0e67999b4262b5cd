"""The CSV importer against DATA.md's input conventions, on SQLite and PostgreSQL.

Fixtures: ``tests/fixtures/import/good_comma`` (``,`` + UTF-8 + ``*_cents`` + ISO dates) and
``good_semicolon_cp1252`` (``;`` + Windows-1252 + CRLF + ``*_eur`` with ``1 234,56``, ``1.234,56`` and
U+00A0 + French dates + ``oui/non``) hold the same portfolio. Bad inputs are written inline by each test on
top of a copy of ``good_comma``, so the reader sees the offending row next to the assertion.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import stat
from pathlib import Path

import pytest
from arrears.core import models as m
from arrears.ingest.importer import ImportError_, import_dir
from sqlalchemy import func, select, text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
ALL_FILES = ("agencies", "staff", "leases", "tenants", "ledger", "plans", "plan_installments", "dd_rejects",
             "actions", "social_supports")


def good(tmp_path: Path, name: str = "good_comma") -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    return folder


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def dump(engine, model) -> list[tuple]:
    table = model.__table__
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(table)))


def by_id(engine, model) -> dict:
    """Rows (attribute access: ``row.rent_cents``) by their first key column."""
    with engine.connect() as conn:
        return {row[0]: row for row in conn.execute(select(model.__table__))}


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def quarantine(report, name: str) -> list[dict[str, str]]:
    path = report.files[name].quarantine_path
    assert path is not None, f"no quarantine file for {name}"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def everything(engine) -> dict[str, list[tuple]]:
    return {model.__tablename__: dump(engine, model) for model in m.INPUT_TABLES}


# --------------------------------------------------------------------------------------------------
# Good files, both conventions
# --------------------------------------------------------------------------------------------------


def test_good_files_comma_utf8_cents_iso(engine, tmp_path):
    report = import_dir(engine, good(tmp_path))

    assert [(f.name, f.read, f.loaded, f.quarantined) for f in report.files.values()] == [
        ("agencies.csv", 1, 1, 0), ("staff.csv", 2, 2, 0), ("leases.csv", 2, 2, 0), ("tenants.csv", 3, 3, 0),
        ("ledger.csv", 5, 5, 0), ("plans.csv", 1, 1, 0), ("plan_installments.csv", 2, 2, 0),
        ("dd_rejects.csv", 1, 1, 0), ("actions.csv", 2, 2, 0), ("social_supports.csv", 1, 1, 0),
    ]
    assert report.files["ledger"].delimiter == ","
    assert report.missing == [] and report.quarantine_paths == []
    assert not (tmp_path / "good_comma" / "quarantine").exists()

    # Leading zeros matter: 00417 and 417 are two leases.
    leases = by_id(engine, m.Lease)
    assert sorted(leases) == ["00417", "417"]
    first, second = leases["00417"], leases["417"]
    assert (first.start_on, first.end_on, first.rent_cents, first.benefit_cents) == (
        dt.date(2019, 3, 1), None, 45000, 20000)
    assert (first.benefit_to_landlord, first.mandate_active, first.income_cents) == (True, True, 150000)
    assert first.address_line2 == "Bât. B" and first.counsellor_id == "C1"
    assert (second.end_on, second.rent_cents, second.benefit_cents, second.counsellor_id) == (
        dt.date(2025, 6, 30), 123456, 0, None)  # empty benefit_cents: 0
    assert (second.benefit_to_landlord, second.income_cents, second.sls_status) == (False, None, "answered")

    ledger = {row[0]: row for row in dump(engine, m.LedgerEntry)}
    assert ledger["E3"] == ("E3", "00417", dt.date(2025, 8, 5), None, "direct_debit", -33000,
                            "Prélèvement\ndu 5 août")
    assert ledger["E5"][5] == -10050
    tenants = {row[0]: row for row in dump(engine, m.Tenant)}
    assert [(tenants[t][2], tenants[t][10]) for t in ("T1", "T2", "T3")] == [
        (True, False), (False, False), (True, False)]  # empty is_deceased: false
    with engine.connect() as conn:
        comment, step, period = conn.execute(
            text("select comment, step, period from actions where action_id = 'ACT1'")).one()
    assert (comment, step, period) == ('Promesse de régler, "avant le 20"', None, None)


def test_semicolon_cp1252_eur_french_dates_load_the_same_portfolio(engine, tmp_path):
    report = import_dir(engine, good(tmp_path, "good_semicolon_cp1252"))

    assert report.quarantined == 0 and report.loaded == 20
    assert (report.files["leases"].encoding, report.files["leases"].delimiter) == ("cp1252", ";")
    loaded = everything(engine)

    # The same portfolio in the other convention gives exactly the same rows.
    with engine.begin() as conn:
        for table in reversed(m.Base.metadata.sorted_tables):
            conn.execute(table.delete())
    import_dir(engine, good(tmp_path))
    assert everything(engine) == loaded
    lease = {row[0]: row for row in loaded["leases"]}["417"]
    assert lease[12] == 123456  # rent_eur "1 234,56"


def test_utf8_bom_semicolon_and_narrow_no_break_space(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv",
          "\ufeffentry_id;lease_id;posted_on;due_on;kind;amount_eur;label\r\n"
          "E1;00417;2025-08-01;01/08/2025;rent;1\u202f234,56;Loyer août\r\n"
          "E2;417;2025-08-02;;fee;1\u00a0000;Frais\r\n")

    report = import_dir(engine, folder)

    assert (report.files["ledger"].encoding, report.files["ledger"].delimiter) == ("utf-8-sig", ";")
    assert report.files["ledger"].unknown_columns == []  # the BOM is not part of the first column name
    assert dump(engine, m.LedgerEntry) == [
        ("E1", "00417", dt.date(2025, 8, 1), dt.date(2025, 8, 1), "rent", 123456, "Loyer août"),
        ("E2", "417", dt.date(2025, 8, 2), None, "fee", 100000, "Frais"),
    ]


def test_row_numbers_count_records_after_a_multiline_field(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv",
          "entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\n"
          'E1,00417,2025-08-01,,rent,45000,"Loyer\naoût\nsur trois lignes"\n'
          "E2,00417,2025-08-01,,rent,oops,\n"
          "\n"
          "E3,00417,2025-13-01,,rent,100,\n")

    report = import_dir(engine, folder)

    rows = quarantine(report, "ledger")
    assert [(r["row_number"], r["column"], r["entry_id"]) for r in rows] == [
        ("3", "amount_cents", "E2"), ("5", "posted_on", "E3")]  # row 4 is blank: counted, not read
    assert report.files["ledger"].read == 3 and report.files["ledger"].loaded == 1


# --------------------------------------------------------------------------------------------------
# Row errors: quarantined with row number, column and reason; the rest of the file loads
# --------------------------------------------------------------------------------------------------

LEDGER = "entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\nE1,00417,2025-08-01,,rent,45000,\n"
LEDGER_EUR = "entry_id,lease_id,posted_on,due_on,kind,amount_eur,label\nE1,00417,2025-08-01,,rent,450,\n"
TENANTS = ("tenant_id,lease_id,is_holder,civility,first_name,last_name,phone_mobile,phone_home,phone_work,"
           "email,is_deceased\nT1,00417,oui,Mme,Nadia,Durand,,,,,\n")
STAFF = "staff_id,agency_id,role,first_name,last_name\nS1,A1,recovery_officer,C,M\nC1,A1,social_counsellor,S,B\n"


@pytest.mark.parametrize(("file", "content", "column", "reason"), [
    ("ledger.csv", LEDGER + "E2,00417,,,rent,100,\n", "posted_on", "missing required value"),
    ("ledger.csv", LEDGER + "E2,L-123,2025-08-01,,rent,100,\n", "lease_id", "unknown lease L-123"),
    ("ledger.csv", LEDGER + "E2,0417,2025-08-01,,rent,100,\n", "lease_id", "unknown lease 0417"),
    ("ledger.csv", LEDGER + "E2,00417,31/02/2025,,rent,100,\n", "posted_on", "no such date: '31/02/2025'"),
    ("ledger.csv", LEDGER + "E2,00417,2025/08/01,,rent,100,\n", "posted_on", "not a date"),
    ("ledger.csv", LEDGER_EUR + 'E2,00417,2025-08-01,,rent,"1.234.567",\n', "amount_eur",
     "same separator twice"),
    ("ledger.csv", LEDGER_EUR + 'E2,00417,2025-08-01,,rent,"12,345",\n', "amount_eur",
     "more than two decimals"),
    ("ledger.csv", LEDGER + "E2,00417,2025-08-01,,rent,12.5,\n", "amount_cents",
     "decimal separator in a cents column"),
    ("ledger.csv", LEDGER + "E2,00417,2025-08-01,,rent,douze,\n", "amount_cents", "not an amount"),
    ("ledger.csv", LEDGER + "E2,00417,2025-08-01,,loyer,100,\n", "kind", "unknown value 'loyer'"),
    ("ledger.csv", LEDGER + "E1,00417,2025-08-02,,rent,100,\n", "entry_id", "duplicate entry_id E1"),
    ("ledger.csv", LEDGER + "E2,00417,2025-08-01,,rent\n", "", "5 fields where the header has 7"),
    ("tenants.csv", TENANTS + "T2,00417,peut-être,M.,Karim,Durand,,,,,\n", "is_holder", "not a boolean"),
    ("tenants.csv", TENANTS + "T2,00417,non,M.,Karim,Durand,,,,,2\n", "is_deceased", "not a boolean"),
    ("plan_installments.csv", "plan_id,due_on,amount_cents\nP1,2025-08-10,100\nP9,2025-08-10,100\n",
     "plan_id", "unknown plan P9"),
    ("staff.csv", STAFF + "S2,A9,boss,X,Y\n", "agency_id; role", "unknown agency A9; unknown value 'boss'"),
])
def test_bad_row_is_quarantined_and_the_rest_loads(engine, tmp_path, file, content, column, reason):
    folder = good(tmp_path)
    write(folder, file, content)

    report = import_dir(engine, folder)

    name = file.removesuffix(".csv")
    read = content.count("\n") - 1
    assert (report.files[name].read, report.files[name].loaded, report.files[name].quarantined) == (
        read, read - 1, 1)
    rows = quarantine(report, name)
    assert len(rows) == 1
    assert rows[0]["row_number"] == str(content.count("\n"))  # the last record of these files
    assert rows[0]["column"] == column
    assert reason in rows[0]["reason"]
    assert report.quarantine_paths == [tmp_path / "good_comma" / "quarantine" / file]
    assert stat.S_IMODE(report.quarantine_paths[0].stat().st_mode) == 0o600
    # The quarantine file carries the original values as written.
    header = content.splitlines()[0].split(",")
    assert list(rows[0])[: len(header)] == header


def test_all_problems_of_a_row_are_listed(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv", LEDGER + "E2,L-9,01/13/2025,,loyer,1.5,\n")

    report = import_dir(engine, folder)

    (row,) = quarantine(report, "ledger")
    assert row["column"] == "lease_id; posted_on; kind; amount_cents"  # in column order
    assert row["reason"].count(";") == 3 and "unknown lease L-9" in row["reason"]
    assert (row["entry_id"], row["posted_on"], row["amount_cents"]) == ("E2", "01/13/2025", "1.5")


def test_rejected_parent_rejects_its_children_with_a_clear_reason(engine, tmp_path):
    folder = good(tmp_path)
    lines = (folder / "leases.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("contentieux", "litige")  # lease 417 (row 3) gets an unknown stage
    write(folder, "leases.csv", "\n".join(lines) + "\n")

    report = import_dir(engine, folder)

    assert report.files["leases"].quarantined == 1
    assert [(r["entry_id"], r["column"], r["reason"]) for r in quarantine(report, "ledger")] == [
        ("E4", "lease_id", "lease 417 was rejected (leases.csv row 3)"),
        ("E5", "lease_id", "lease 417 was rejected (leases.csv row 3)"),
    ]
    assert [r["reason"] for r in quarantine(report, "tenants")] == ["lease 417 was rejected (leases.csv row 3)"]
    assert [r["action_id"] for r in quarantine(report, "actions")] == ["ACT2"]
    assert (report.files["ledger"].loaded, report.files["ledger"].quarantined) == (3, 2)
    assert [row[0] for row in dump(engine, m.Lease)] == ["00417"]


# --------------------------------------------------------------------------------------------------
# File-level problems: the import stops, names the file (and column), and loads nothing
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "content", "expected"), [
    ("social_supports.csv", b"", ["social_supports.csv", "empty file (0 bytes)"]),
    ("social_supports.csv", b"support_id,lease_id,counsellor_id,supported_on,is_reinforced\n",
     ["social_supports.csv", "missing required column 'domain'"]),
    ("ledger.csv", b"entry_id,lease_id,posted_on,kind,label\n",
     ["ledger.csv", "missing required column 'amount_cents' (or 'amount_eur')"]),
    ("ledger.csv", b"entry_id,lease_id,posted_on,kind,amount_cents,amount_eur\n",
     ["ledger.csv", "both columns 'amount_cents' and 'amount_eur'"]),
    ("actions.csv", b"action_id;lease_id;done_on;kind;comment\nA1;00417;2025-08-01;note;\xe9t\xe9 \x81\n",
     ["actions.csv", "neither UTF-8", "nor Windows-1252"]),
    ("actions.csv", "action_id,lease_id,done_on,kind\n".encode("utf-16"), ["actions.csv", "UTF-16"]),
])
def test_file_level_problem_stops_the_import(engine, tmp_path, file, content, expected):
    folder = good(tmp_path)
    write(folder, file, content)

    with pytest.raises(ImportError_) as info:
        import_dir(engine, folder)

    for fragment in expected:
        assert fragment in str(info.value)
    assert all(count(engine, model) == 0 for model in m.INPUT_TABLES)  # checked before anything is written
    assert not (folder / "quarantine").exists()


def test_every_file_level_problem_is_reported_at_once(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "agencies.csv", b"")
    write(folder, "plans.csv", "plan_id,lease_id,kind,agreed_on,status\n")

    with pytest.raises(ImportError_) as info:
        import_dir(engine, folder)

    assert info.value.problems == [
        "agencies.csv: empty file (0 bytes): a header row is required",
        "plans.csv: missing required column 'debt_cents' (or 'debt_eur')",
    ]


def test_header_only_loads_nothing_and_absent_files_are_reported(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv", "entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\r\n")
    for name in ("plans", "plan_installments", "social_supports"):
        (folder / f"{name}.csv").unlink()

    report = import_dir(engine, folder)

    assert (report.files["ledger"].read, report.files["ledger"].loaded) == (0, 0)
    assert count(engine, m.LedgerEntry) == 0 and count(engine, m.Lease) == 2
    assert report.missing == ["plans.csv", "plan_installments.csv", "social_supports.csv"]
    assert "plans" not in report.files
    assert "missing files (skipped): plans.csv, plan_installments.csv, social_supports.csv" in report.summary()


def test_unknown_columns_are_ignored_and_reported_once(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "actions.csv",
          "action_id,lease_id,done_on,kind,Code_Interne,step,period\n"
          "ACT1,00417,2025-08-14,note,X1,3,2025-08\nACT2,417,2025-08-15,sms,X2,3,2025-08\n")

    report = import_dir(engine, folder)

    assert report.files["actions"].unknown_columns == ["Code_Interne", "step", "period"]
    summary = report.summary()
    assert summary.count("Code_Interne") == 1
    assert "actions.csv: unknown columns ignored: Code_Interne, step, period" in summary
    # Imported actions never carry the pipeline's step and period.
    assert [(r[0], r[7], r[8]) for r in dump(engine, m.Action)] == [("ACT1", None, None), ("ACT2", None, None)]


def test_summary_has_counts_and_no_tenant_data(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "tenants.csv", TENANTS + "T2,00417,peut-être,M.,Karim,Durand,,,,,\n")

    summary = import_dir(engine, folder).summary()

    assert "tenants.csv" in summary and "quarantined" in summary
    for personal in ("Durand", "Karim", "Nadia", "Paul Bert", "06 12"):
        assert personal not in summary
    line = next(li for li in summary.splitlines() if li.startswith("tenants.csv "))
    assert line.split()[1:] == ["2", "1", "1"]


# --------------------------------------------------------------------------------------------------
# Idempotence, updates, one transaction
# --------------------------------------------------------------------------------------------------


def test_reimport_changes_nothing_and_a_newer_export_updates(engine, tmp_path):
    folder = good(tmp_path)
    import_dir(engine, folder)
    before = everything(engine)

    again = import_dir(engine, folder)
    assert again.loaded == 20 and everything(engine) == before

    write(folder, "ledger.csv", (folder / "ledger.csv").read_text(encoding="utf-8").replace(
        "E5,417,2025-06-10,,payment,-10050,", "E5,417,2025-06-11,,payment,-20000,Virement")
        + "E6,417,2025-07-01,2025-07-01,rent,123456,Loyer juillet\n")
    write(folder, "plan_installments.csv", "plan_id,due_on,amount_cents\nP1,2025-09-10,25000\n")
    import_dir(engine, folder)

    after = everything(engine)
    ledger = {row[0]: row for row in after["ledger"]}
    assert ledger["E5"] == ("E5", "417", dt.date(2025, 6, 11), None, "payment", -20000, "Virement")
    assert ledger["E6"][5] == 123456 and len(ledger) == 6
    assert after["plan_installments"] == [("P1", dt.date(2025, 8, 10), 20000), ("P1", dt.date(2025, 9, 10), 25000)]
    assert {k: v for k, v in after.items() if k not in ("ledger", "plan_installments")} == {
        k: v for k, v in before.items() if k not in ("ledger", "plan_installments")}


def test_absent_optional_column_keeps_the_stored_value(engine, tmp_path):
    folder = good(tmp_path)
    import_dir(engine, folder)
    write(folder, "leases.csv",
          "lease_id,agency_id,officer_id,start_on,stage,address_line1,postcode,city,rent_cents,charges_cents,"
          "payment_method\n00417,A1,S1,2019-03-01,contentieux,12 rue Paul Bert,69003,Lyon,46000,8000,cheque\n")

    import_dir(engine, folder)

    lease = {row[0]: row for row in dump(engine, m.Lease)}["00417"]
    assert (lease[6], lease[12], lease[18], lease[3]) == ("contentieux", 46000, 150000, "C1")


def test_stale_quarantine_file_is_removed_once_the_file_is_clean(engine, tmp_path):
    folder = good(tmp_path)
    original = (folder / "ledger.csv").read_bytes()
    write(folder, "ledger.csv", LEDGER + "E2,00417,,,rent,100,\n")
    first = import_dir(engine, folder, quarantine_dir=tmp_path / "rejets")
    assert first.quarantine_paths == [tmp_path / "rejets" / "ledger.csv"]

    write(folder, "ledger.csv", original)
    second = import_dir(engine, folder, quarantine_dir=str(tmp_path / "rejets"))

    assert second.quarantine_paths == [] and not (tmp_path / "rejets" / "ledger.csv").exists()


def test_a_corrected_quarantine_file_can_be_imported(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv", LEDGER + "E2,00417,2025-08-01,,rent,12.5,\n")
    report = import_dir(engine, folder)
    fixed = report.quarantine_files["ledger.csv"]
    write(fixed.parent, "ledger.csv", fixed.read_text(encoding="utf-8").replace(",12.5,", ",1250,"))

    again = import_dir(engine, fixed.parent)

    assert (again.files["ledger"].loaded, again.files["ledger"].quarantined) == (1, 0)
    assert again.files["ledger"].unknown_columns == ["row_number", "column", "reason"]
    assert by_id(engine, m.LedgerEntry)["E2"].amount_cents == 1250


def test_database_error_rolls_the_whole_import_back(sqlite_engine, tmp_path):
    with sqlite_engine.begin() as conn:
        conn.execute(text("drop table social_supports"))  # the last file will fail in the database

    with pytest.raises(ImportError_, match=r"social_supports\.csv: database error .*rolled back"):
        import_dir(sqlite_engine, good(tmp_path))

    assert count(sqlite_engine, m.Agency) == 0 and count(sqlite_engine, m.LedgerEntry) == 0
    assert list((tmp_path / "good_comma").glob("quarantine/*")) == []


def test_cli_import_prints_the_summary(tmp_path, capsys):
    from arrears.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--db-url", url, "import", str(good(tmp_path))]) == 0
    assert "ledger.csv" in capsys.readouterr().out

    write(tmp_path / "good_comma", "ledger.csv", b"")
    assert main(["--db-url", url, "import", str(tmp_path / "good_comma")]) == 2
    assert "ledger.csv: empty file" in capsys.readouterr().err
