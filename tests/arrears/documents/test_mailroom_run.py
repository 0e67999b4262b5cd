"""A multi-batch run as the mailroom receives it (PLAN.md revision 5): registered numbers in print order,
the cover's range and gaps, the deposit list with the address lines, letters abroad in their own batch, and
no batch file ever replaced by a later run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from arrears.decide.decision import Decision, LetterOrder
from arrears.documents.batches import assemble_batches
from arrears.documents.letters import render_letters
from arrears.documents.numbering import allocate_in_print_order
from arrears.documents.registered import number_gaps, serial_of
from factories import Portfolio
from pypdf import PdfReader
from sqlalchemy import text

D = dt.date(2025, 9, 5)
PREFIX = "2025-09-S03-20250905"
# lease id order is the reverse of the postcode order: numbering by lease id would run backwards
REGISTERED = {"R1": "69009", "R2": "69008", "R3": "69007", "R4": "69005", "R5": "69003"}


def page_texts(path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "").strip() for p in PdfReader(str(path)).pages]


def debtor(p: Portfolio, lease_id: str, **kw) -> None:
    p.lease(lease_id, **kw)
    p.monthly(lease_id, "2025-01", 9)
    p.pay(lease_id, "2025-01-05", 600_00)


def decision(lease_id: str, letter_type: str, **order) -> Decision:
    return Decision(lease_id=lease_id, step=3, step_id="large_balances", period="2025-09", as_of=D,
                    letter=LetterOrder(letter_type, **order))


def build(engine) -> list[Decision]:
    p = Portfolio(engine)
    for lease_id, postcode in REGISTERED.items():
        debtor(p, lease_id, postcode=postcode, address_line2="Bâtiment B")
    debtor(p, "S1", postcode="69100", city="Villeurbanne")
    debtor(p, "ALG", end_on="2025-02-28",
           forwarding={"line1": "12 rue Didouche Mourad", "postcode": "16000", "city": "Alger",
                       "country": "Algérie"})
    p.commit()
    decisions = [decision(x, "formal_notice", registered=True, deadline_days=8) for x in REGISTERED]
    decisions.append(decision("S1", "convocation"))
    decisions.append(decision("ALG", "departed_tenant", to_forwarding_address=True, out_of_departement=True))
    return decisions


def test_numbers_follow_print_order_cover_range_gaps_deposit_list_and_international_batch(engine, tmp_path):
    decisions = build(engine)
    numbers = allocate_in_print_order(engine, decisions)
    assert set(numbers) == set(REGISTERED)
    # R4's letter was numbered, then failed to render: its label is a gap in the batch
    rendered = render_letters(engine, [d for d in decisions if d.lease_id != "R4"], tmp_path)
    assert rendered.failures == []
    by_lease = {r.lease_id: r for r in rendered.rendered}
    assert {x: by_lease[x].number for x in REGISTERED if x != "R4"} == {
        x: n for x, n in numbers.items() if x != "R4"}  # rendering found the numbers, took no new one

    batches = {b.batch_id: b for b in assemble_batches(rendered.rendered, tmp_path, step=3, period="2025-09",
                                                        as_of=D, batch_id_prefix=PREFIX, engine=engine)}
    assert set(batches) == {f"{PREFIX}-simple", f"{PREFIX}-registered", f"{PREFIX}-international"}
    reg = batches[f"{PREFIX}-registered"]
    order = ["R5", "R4", "R3", "R2", "R1"]
    printed = [x for x in order if x != "R4"]
    assert reg.document_ids == [by_lease[x].document_id for x in printed]
    serials = [serial_of(by_lease[x].number) for x in printed]
    assert serials == sorted(serials) and len(set(serials)) == len(serials)    # strictly increasing
    assert [serial_of(numbers[x]) for x in order] == list(range(serials[0], serials[0] + 5))
    assert reg.first_number == numbers["R5"] and reg.last_number == numbers["R1"]
    assert reg.gaps == [numbers["R4"]]

    cover = page_texts(reg.path)[0]
    assert f"du n° {numbers['R5']} au n° {numbers['R1']}" in cover
    assert "Numéros absents de la plage 1 : " + numbers["R4"] in cover
    assert "numéros dans l'ordre d'impression" in cover

    # deposit list = the batch's registered letters in print order, with their address lines
    rows = list(csv.DictReader(io.StringIO(Path(reg.deposit_csv).read_bytes().decode("utf-8-sig")),
                               delimiter=";"))
    assert [r["numero_recommande"] for r in rows] == [by_lease[x].number for x in printed]
    assert [r["ligne"] for r in rows] == ["1", "2", "3", "4"]
    for row, lease_id in zip(rows, printed, strict=True):
        lines = [row[f"adresse_ligne_{i}"] for i in range(1, 8) if row[f"adresse_ligne_{i}"]]
        assert lines == list(by_lease[lease_id].address_lines)
        assert lines[-1] == f"{REGISTERED[lease_id]} LYON" and "BATIMENT B" in lines
    deposit_pdf = " ".join(page_texts(reg.deposit_pdf))
    assert "12 RUE PAUL BERT" in deposit_pdf and "69003 LYON" in deposit_pdf

    intl = batches[f"{PREFIX}-international"]
    assert intl.international and intl.document_ids == [by_lease["ALG"].document_id]
    intl_cover = page_texts(intl.path)[0]
    assert "INTERNATIONAL" in intl_cover and "ALGERIE" in intl_cover.upper()
    assert batches[f"{PREFIX}-simple"].document_ids == [by_lease["S1"].document_id]
    with engine.connect() as conn:
        held = dict(conn.execute(text("select document_id, batch_id from documents")).all())
    for batch in batches.values():  # documents.batch_id names the file that holds the letter
        assert Path(batch.path).name == f"{batch.batch_id}.pdf"
        assert {held[d] for d in batch.document_ids} == {batch.batch_id}


def test_a_rerun_writes_a_complement_batch_and_never_a_shorter_copy(engine, tmp_path):
    decisions = [d for d in build(engine) if d.letter.registered]
    allocate_in_print_order(engine, decisions[:3])
    first = render_letters(engine, decisions[:3], tmp_path)
    [b1] = assemble_batches(first.rendered, tmp_path, step=3, period="2025-09", as_of=D, batch_id_prefix=PREFIX,
                            engine=engine)
    size = Path(b1.path).stat().st_size
    # the re-run of the same date renders the two letters left; its batch is a complement
    allocate_in_print_order(engine, decisions)
    second = render_letters(engine, decisions[3:], tmp_path)
    [b2] = assemble_batches(first.rendered + second.rendered, tmp_path, step=3, period="2025-09", as_of=D,
                            batch_id_prefix=PREFIX, engine=engine)
    assert b2.batch_id == f"{PREFIX}-registered-2" and b2.letters == 2
    assert "Lot complémentaire n° 2" in page_texts(b2.path)[0]
    assert Path(b1.path).stat().st_size == size and len(page_texts(b1.path)) == b1.pages
    assert Path(b2.deposit_csv).exists() and Path(b1.deposit_csv).exists()
    # a third assembly with nothing new writes nothing
    assert assemble_batches(first.rendered + second.rendered, tmp_path, step=3, period="2025-09", as_of=D,
                            batch_id_prefix=PREFIX, engine=engine) == []
    with engine.connect() as conn:
        held = dict(conn.execute(text("select document_id, batch_id from documents")).all())
    assert sorted(held.values()) == [b1.batch_id] * 3 + [b2.batch_id] * 2


def test_number_gaps():
    assert number_gaps(["1A00000000109", "1A00000000141"]) == ["1A00000000117", "1A00000000125",
                                                                "1A00000000133"]
    assert number_gaps(["1A00000000109"]) == []
