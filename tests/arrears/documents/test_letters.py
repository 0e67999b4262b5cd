"""Letters as a tenant reads them: name, address block, amount, deadline, registered number, statement."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from arrears.decide.decision import LETTER_TYPES, Decision, LetterOrder
from arrears.documents.letters import render_letters, render_letters_parallel
from factories import Portfolio, debtor, one_letter_of_each_type
from pypdf import PdfReader
from sqlalchemy import text

D = dt.date(2025, 9, 5)


def pdf_text(path) -> str:
    raw = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return re.sub(r"\s+", " ", raw)  # line breaks, no-break spaces -> one space


def decision(lease_id: str, letter_type: str, *, step: int = 3, profile: str = "P0", **letter) -> Decision:
    return Decision(lease_id=lease_id, step=step, step_id="test", period="2025-09", as_of=D, profile=profile,
                    letter=LetterOrder(letter_type=letter_type, **letter))


def by_lease(result):
    return {r.lease_id: r for r in result.rendered}


def test_every_letter_type_renders_what_the_tenant_checks(sqlite_engine, tmp_path):
    decisions = one_letter_of_each_type(Portfolio(sqlite_engine), D)

    result = render_letters(sqlite_engine, decisions, tmp_path)
    assert result.failures == []
    assert len(result.rendered) == len(LETTER_TYPES)
    for r in result.rendered:
        body = pdf_text(r.path)
        assert "Mme Nadia DURAND" in body, r.letter_type
        assert "3 150,00 €" in body, r.letter_type                       # the balance at D
        assert "Lyon, le 5 septembre 2025" in body, r.letter_type
        if r.letter_type == "departed_tenant":   # the move-out statement instead of the 12 months
            assert "Votre décompte de sortie" in body and "Solde restant dû" in body
        else:
            assert "août 2025" in body and "2 550,00 €" in body, r.letter_type   # a statement row
        assert "FR07 9999 9006 9000 0123 4567 A42" in body and r.lease_id in body, r.letter_type
        assert "Claire Martin" in body and "04 72 00 00 11" in body, r.letter_type        # officer, direct line
        if r.letter_type == "departed_tenant":
            assert "5 PLACE DU CAPITOLE" in body and "31000 TOULOUSE" in body
            assert "hors de notre département" in body
            assert r.postcode == "31000"
        else:
            assert "Samia Benali" in body, r.letter_type                               # the social counsellor
            assert "APPARTEMENT 34" in body and "12 RUE PAUL BERT" in body and "69003 LYON" in body
        if r.registered:
            assert r.number and len(r.number) == 13
            spaced = f"{r.number[:2]} {r.number[2:5]} {r.number[5:8]} {r.number[8:12]} {r.number[12:]}"
            assert spaced in body
            # the deadline runs from the first presentation, never from the letter's date (revision 5)
            assert "8 jours à compter de la première présentation de ce courrier" in body
            assert "13 septembre 2025" not in body
            assert "1344" in body and "commissaire de justice" in body and "89-462" in body
            assert "Fonds de solidarité pour le logement" in body
        else:
            assert r.number is None
    letters = by_lease(result)
    assert "compte clôturé" in pdf_text(letters["L007"].path)                  # dd_reject AC04
    assert "mandat de prélèvement a été annulé" in pdf_text(letters["L007"].path)


def test_hostile_tenant_name_prints_literally(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    debtor(p, "L1")
    p.session.execute(text("update tenants set last_name = :n where lease_id = 'L1'"),
                      {"n": "<b>Dupont</b> & {{ 7*7 }}"})
    p.commit()
    result = render_letters(sqlite_engine, [decision("L1", "friendly_reminder")], tmp_path, dry_run=True)
    body = pdf_text(result.rendered[0].path)
    assert "<b>Dupont</b> & {{ 7*7 }}" in body
    assert "<B>DUPONT</B> & {{ 7*7 }}" in body      # the address block, in capitals
    assert " 49" not in body


def test_one_bad_letter_fails_alone_with_lease_and_field(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    debtor(p, "GOOD1")
    debtor(p, "DEAD", deceased=True)
    debtor(p, "NOFWD", end_on="2025-01-31")
    debtor(p, "LONG", address_line1="12 rue Anticonstitutionnellement Extraordinairement Interminable")
    debtor(p, "GOOD2")
    p.commit()
    decisions = [
        decision("GOOD1", "friendly_reminder"),
        decision("DEAD", "friendly_reminder"),
        decision("NOFWD", "departed_tenant", to_forwarding_address=True),
        decision("LONG", "friendly_reminder"),
        decision("GOOD2", "no_such_letter"),
        decision("GOOD2", "convocation", step=4),
    ]
    result = render_letters(sqlite_engine, decisions, tmp_path)
    assert sorted(r.lease_id for r in result.rendered) == ["GOOD1", "GOOD2"]
    failures = {f.lease_id + ":" + f.message for f in result.failures}
    assert any(f.startswith("DEAD:") and "deceased" in f for f in failures)
    assert any(f.startswith("NOFWD:") and "forwarding_address" in f for f in failures)
    assert any(f.startswith("LONG:") and "ANTICONSTITUTIONNELLEMENT" in f for f in failures)
    assert any(f.startswith("GOOD2:") and "no_such_letter" in f for f in failures)
    assert len(result.failures) == 4


def test_rerender_reuses_document_id_and_registered_number(engine, tmp_path):
    p = Portfolio(engine)
    debtor(p, "L1")
    debtor(p, "L2")
    p.commit()
    decisions = [decision("L1", "formal_notice", registered=True, deadline_days=8),
                 decision("L2", "friendly_reminder")]
    first = by_lease(render_letters(engine, decisions, tmp_path))
    second = by_lease(render_letters(engine, decisions, tmp_path))
    assert first["L1"].number and first["L1"].number == second["L1"].number
    assert first["L1"].document_id == second["L1"].document_id
    assert first["L2"].document_id == second["L2"].document_id
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from documents")).scalar() == 2
        assert conn.execute(text("select count(*) from registered_numbers")).scalar() == 1
        row = conn.execute(text("select registered_number, letter_class, pages from documents "
                                "where lease_id = 'L1'")).one()
    assert row == (first["L1"].number, "registered", first["L1"].pages)


def test_dry_run_records_nothing_and_allocates_nothing(engine, tmp_path):
    p = Portfolio(engine)
    debtor(p, "L1")
    p.commit()
    result = render_letters(engine, [decision("L1", "formal_notice", registered=True)], tmp_path, dry_run=True)
    assert result.rendered[0].number is None
    body = pdf_text(result.rendered[0].path)
    assert "APERÇU" in body and "attribué à l'envoi" in body
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from documents")).scalar() == 0
        assert conn.execute(text("select count(*) from registered_numbers")).scalar() == 0


def test_foreign_forwarding_address_and_profile_tone(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    debtor(p, "ABROAD", end_on="2025-02-28",
           forwarding={"line1": "Calle de Alcalá 45", "postcode": "28014", "city": "Madrid", "country": "Espagne"})
    debtor(p, "FIRM")
    debtor(p, "HELP")
    p.commit()
    result = by_lease(render_letters(sqlite_engine, [
        decision("ABROAD", "departed_tenant", to_forwarding_address=True, out_of_departement=True),
        decision("FIRM", "repeat_debtor", profile="P3"),
        decision("HELP", "repeat_debtor", profile="P2"),
    ], tmp_path, dry_run=True))
    abroad = pdf_text(result["ABROAD"].path)
    assert "CALLE DE ALCALA 45" in abroad and "28014 MADRID" in abroad and "ESPAGNE" in abroad
    assert "virement international" in abroad
    assert result["ABROAD"].country == "ESPAGNE"
    assert "sans délai" in pdf_text(result["FIRM"].path)
    assert "Fonds de solidarité pour le logement (FSL)" in pdf_text(result["HELP"].path)
    assert "demande d'aide au Fonds" in pdf_text(result["HELP"].path)


def test_parallel_rendering_gives_the_same_letters(sqlite_engine, tmp_path):
    p = Portfolio(sqlite_engine)
    for i in range(4):
        debtor(p, f"L{i}")
    p.commit()
    decisions = [decision(f"L{i}", "formal_notice", registered=True) for i in range(4)]
    result = render_letters_parallel(sqlite_engine, decisions, tmp_path, workers=2, batch_size=2)
    assert result.failures == []
    assert len({r.number for r in result.rendered}) == 4
    for r in result.rendered:
        assert r.lease_id in pdf_text(r.path)


def test_the_rendering_processes_are_kept_hold_no_connection_and_a_dead_one_is_replaced(engine, tmp_path):
    """The pool of rendering processes serves the next call (under dag.test the month's rendering tasks
    follow one another in one process); between calls its processes hold no connection to the database; when
    one dies the call fails, and the next call starts a new pool."""
    import os
    import signal
    from concurrent.futures.process import BrokenProcessPool

    from arrears.documents import render

    def connections() -> int:
        """Connections to this database other than the one asking (the session's other engines included)."""
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from pg_stat_activity where datname = current_database() "
                                     "and pid <> pg_backend_pid()")).scalar()

    p = Portfolio(engine)
    for i in range(4):
        debtor(p, f"L{i}")
    p.commit()
    if engine.dialect.name == "postgresql":
        engine.dispose()
        before = connections()
    first = render_letters_parallel(engine, [decision("L0", "friendly_reminder"), decision("L1", "friendly_reminder")],
                                    tmp_path, workers=2)
    pool = render._POOLS[2]
    second = render_letters_parallel(engine, [decision("L2", "friendly_reminder"), decision("L3", "friendly_reminder")],
                                     tmp_path, workers=2)
    assert render._POOLS[2] is pool
    assert [r.lease_id for r in first.rendered + second.rendered] == ["L0", "L1", "L2", "L3"]
    if engine.dialect.name == "postgresql":
        engine.dispose()
        assert connections() == before      # the two kept processes left none open

    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        render_letters_parallel(engine, [decision("L0", "friendly_reminder"), decision("L1", "friendly_reminder")],
                                tmp_path, workers=2)
    again = render_letters_parallel(engine, [decision("L0", "friendly_reminder"), decision("L1", "friendly_reminder")],
                                    tmp_path, workers=2)
    assert render._POOLS[2] is not pool
    assert sorted(r.lease_id for r in again.rendered) == ["L0", "L1"]


@pytest.mark.parametrize("letter_type", ["formal_notice"])
def test_letter_pdf_is_private(sqlite_engine, tmp_path, letter_type):
    p = Portfolio(sqlite_engine)
    debtor(p, "L1")
    p.commit()
    result = render_letters(sqlite_engine, [decision("L1", letter_type, registered=True)], tmp_path)
    path = result.rendered[0].path
    import os
    import stat

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "letters").st_mode) == 0o700


def test_context_addresses_living_holders_only_and_reads_the_ledger_at_d(sqlite_engine):
    from arrears.config.landlord import load_landlord
    from arrears.documents.context import letter_context

    p = Portfolio(sqlite_engine)
    p.lease("L1", tenants=2)
    p.session.execute(text("update tenants set is_deceased = true, civility = 'M.', first_name = 'Paul' "
                           "where tenant_id = 'L1-T1'"))
    p.charge("L1", "2025-08-01", 600_00)
    p.charge("L1", "2025-09-01", 600_00)
    p.charge("L1", "2025-10-01", 600_00, posted_on="2025-09-02")   # billed in advance: not due at D
    p.pay("L1", "2025-08-03", 600_00)
    p.pay("L1", "2025-09-06", 100_00)                               # posted after D
    p.commit()
    with sqlite_engine.connect() as conn:
        ctx = letter_context(conn, decision("L1", "friendly_reminder"), load_landlord())
    assert [h["last_name"] for h in ctx["holders"]] == ["Durand2"]
    assert ctx["address"]["lines"][0] == "Mme Nadia DURAND2"
    assert ctx["salutation"] == "Madame,"
    assert ctx["balance_cents"] == 600_00
    rows = {r["month"].isoformat()[:7]: r for r in ctx["statement"]["rows"]}
    assert (rows["2025-08"]["dues_cents"], rows["2025-08"]["paid_cents"], rows["2025-08"]["balance_cents"]) == (
        600_00, 600_00, 0)
    assert (rows["2025-09"]["dues_cents"], rows["2025-09"]["paid_cents"], rows["2025-09"]["balance_cents"]) == (
        600_00, 0, 600_00)
    assert len(rows) == 12 and ctx["statement"]["opening_cents"] == 0
    assert ctx["letter"]["deadline_on"] == dt.date(2025, 9, 15)   # D + 8 = Saturday 13: the next business day


@pytest.mark.parametrize(("n", "workers", "size"), [(500, 2, 25), (300, 2, 100), (7, 2, 25), (1, 2, 25), (101, 3, 25),
                                                    (0, 2, 25)])
def test_letters_are_cut_into_equal_chunks_in_whole_rounds_of_the_pool(n, workers, size):
    """No process of the pool renders a last chunk alone while the others wait (the 500-letter bench ran 5
    chunks of 100 on 2 processes: one rendered the fifth alone)."""
    from arrears.documents.letters import balanced_chunks

    chunks = balanced_chunks(list(range(n)), workers, size)
    assert [x for chunk in chunks for x in chunk] == list(range(n))            # all, in order
    assert all(0 < len(chunk) <= size for chunk in chunks)
    assert max(map(len, chunks), default=0) - min(map(len, chunks), default=0) <= 1
    if n >= workers:
        assert len(chunks) % workers == 0
