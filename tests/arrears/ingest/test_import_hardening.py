"""Importer hardening (issue 12), on SQLite and PostgreSQL: a file mixing encodings is refused naming the
byte offset; stray quotes, dates outside 1900-2100, negative rents/charges, amounts beyond ±10^10 cents and
oversized cells are row errors (quarantined), and the rest of the file loads.

On main before this change each of these loaded silently (mojibake "Ã©", a kept stray quote, 9999-12-31,
negative rents, 9 223 372 036 854 775 807 cents) or refused the whole import (a 128 KiB comment).
"""

from __future__ import annotations

import pytest
from arrears.core import models as m
from arrears.ingest.importer import MAX_CELL_CHARS, ImportError_, import_dir
from test_importer import by_id, count, good, quarantine, write

LEASE_HEADER = ("lease_id,agency_id,officer_id,counsellor_id,start_on,end_on,stage,address_line1,address_line2,"
                "address_line3,postcode,city,rent_cents,charges_cents,benefit_cents,benefit_to_landlord,"
                "payment_method,mandate_active,income_cents,sls_status\n")


def lease(lease_id, start="2020-01-01", rent="50000", charges="8000", end="", address="1 rue X") -> str:
    return (f"{lease_id},A1,S1,,{start},{end},precontentieux,{address},,,69003,Lyon,{rent},{charges},0,false,"
            f"transfer,false,,none\n")


def test_mixed_encodings_are_refused_naming_the_byte_offset(engine, tmp_path):
    folder = good(tmp_path)
    head = (LEASE_HEADER + lease("L-UTF8", address="3 rue de l’Église")).encode("utf-8")
    bad_line = lease("L-LATIN1", address="5 rue Émile Zola").encode("cp1252")
    write(folder, "leases.csv", head + bad_line)
    offset = len(head) + bad_line.index(b"\xc9")
    first_utf8 = head.index("’".encode())
    with pytest.raises(ImportError_) as info:
        import_dir(engine, folder)
    message = str(info.value)
    assert "leases.csv" in message and "mixes encodings" in message
    assert f"byte offset {offset}" in message and f"byte offset {first_utf8}" in message
    assert count(engine, m.Lease) == 0


def test_plain_cp1252_still_loads(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "leases.csv", LEASE_HEADER + lease("L-1", address="5 rue Émile Zola"), encoding="cp1252")
    import_dir(engine, folder)
    assert by_id(engine, m.Lease)["L-1"].address_line1 == "5 rue Émile Zola"


def test_stray_quotes_are_row_errors(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "leases.csv", LEASE_HEADER + lease("L-OK", address='"12 rue ""La Poste"""')
          + lease("L-STRAY", address='12 rue Dupont"') + lease("L-GLUED", address='"12 rue"bis'))
    report = import_dir(engine, folder)
    leases = by_id(engine, m.Lease)
    assert leases["L-OK"].address_line1 == '12 rue "La Poste"'
    assert "L-STRAY" not in leases and "L-GLUED" not in leases
    rows = {r["lease_id"]: r for r in quarantine(report, "leases")}
    assert set(rows) == {"L-STRAY", "L-GLUED"}
    assert rows["L-STRAY"]["column"] == "address_line1" and "stray double quote" in rows["L-STRAY"]["reason"]
    assert rows["L-STRAY"]["row_number"] == "3"


@pytest.mark.parametrize("start, ok", [
    ("9999-12-31", False), ("0001-01-01", False), ("31/12/1899", False), ("01/01/2101", False),
    ("1900-01-01", True), ("2100-12-31", True),
])
def test_dates_outside_1900_2100(engine, tmp_path, start, ok):
    folder = good(tmp_path)
    report = import_dir(engine, write(folder, "leases.csv", LEASE_HEADER + lease("L-D", start=start)).parent)
    assert ("L-D" in by_id(engine, m.Lease)) is ok
    if not ok:
        (row,) = quarantine(report, "leases")
        assert row["column"] == "start_on" and "outside 1900-2100" in row["reason"]


def test_negative_rents_and_charges(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "leases.csv", LEASE_HEADER + lease("L-RENT", rent="-50000") + lease("L-CH", charges="-1")
          + lease("L-OK", rent="0"))
    write(folder, "ledger.csv", "entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\n"
                                "E-PAY,L-OK,2025-08-03,,payment,-60000,x\n")
    report = import_dir(engine, folder)
    assert set(by_id(engine, m.Lease)) >= {"L-OK"} and not {"L-RENT", "L-CH"} & set(by_id(engine, m.Lease))
    reasons = {r["lease_id"]: (r["column"], r["reason"]) for r in quarantine(report, "leases")}
    assert reasons["L-RENT"] == ("rent_cents", "negative amount: '-50000'")
    assert reasons["L-CH"] == ("charges_cents", "negative amount: '-1'")
    # ledger amounts are signed: a payment is negative
    assert by_id(engine, m.LedgerEntry)["E-PAY"].amount_cents == -60000


@pytest.mark.parametrize("amount, ok", [
    ("9223372036854775807", False), ("10000000001", False), ("-10000000001", False),
    ("10000000000", True), ("-10000000000", True),
])
def test_amounts_beyond_ten_to_the_ten_cents(engine, tmp_path, amount, ok):
    folder = good(tmp_path)
    write(folder, "ledger.csv", "entry_id,lease_id,posted_on,due_on,kind,amount_cents,label\n"
                                f"E-BIG,00417,2025-08-01,,adjustment,{amount},x\n"
                                "E-OK,00417,2025-08-01,,adjustment,100,x\n")
    report = import_dir(engine, folder)
    entries = by_id(engine, m.LedgerEntry)
    assert "E-OK" in entries and ("E-BIG" in entries) is ok
    if not ok:
        (row,) = quarantine(report, "ledger")
        assert row["column"] == "amount_cents" and "out of range" in row["reason"]


def test_amount_in_euros_beyond_the_range(engine, tmp_path):
    folder = good(tmp_path)
    write(folder, "ledger.csv", "entry_id,lease_id,posted_on,due_on,kind,amount_eur,label\n"
                                'E-BIG,00417,2025-08-01,,adjustment,"100000000,01",x\n'
                                'E-OK,00417,2025-08-01,,adjustment,"100000000,00",x\n')
    report = import_dir(engine, folder)
    assert set(by_id(engine, m.LedgerEntry)) == {"E-OK"}
    assert "out of range" in quarantine(report, "ledger")[0]["reason"]


def test_oversized_cell_is_a_row_error(engine, tmp_path):
    folder = good(tmp_path)
    huge = "x" * (MAX_CELL_CHARS + 1)
    write(folder, "actions.csv", "action_id,lease_id,done_on,kind,outcome,staff_id,comment\n"
                                 f"ACT-BIG,00417,2025-08-14,note,,S1,{huge}\n"
                                 f'ACT-BIGQ,00417,2025-08-14,note,,S1,"{"y" * 200_000}"\n'
                                 f"ACT-OK,00417,2025-08-14,note,,S1,{'z' * MAX_CELL_CHARS}\n")
    report = import_dir(engine, folder)
    actions = by_id(engine, m.Action)
    assert "ACT-OK" in actions and len(actions["ACT-OK"].comment) == MAX_CELL_CHARS
    rows = {r["action_id"]: r for r in quarantine(report, "actions")}
    assert set(rows) == {"ACT-BIG", "ACT-BIGQ"}
    assert rows["ACT-BIG"]["column"] == "comment" and "cell too large" in rows["ACT-BIG"]["reason"]
    assert count(engine, m.Lease) > 0  # the other files loaded
