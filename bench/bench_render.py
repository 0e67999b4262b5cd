"""Benchmark: render N letters naively (one ``HTML().write_pdf()`` per letter, one process) and our way
(``render_letters_parallel``: a document per letter with stylesheets, fonts, logo and the letters' user-agent
stylesheet parsed once per process, over a process pool), on a synthetic portfolio in a temp SQLite.

    uv run python bench/bench_render.py                 # 2 000 letters, both ways
    uv run python bench/bench_render.py --letters 200   # quicker
    uv run python bench/bench_render.py --letters 200 --profile   # + cProfile of our path, 1 process

Each mode runs in its own fresh process on its own copy of the database (same letters, same registered
numbers to allocate), so peak memory is measured per mode: ``resource.getrusage`` maxrss of the mode's
process (RUSAGE_SELF) and of its largest worker (RUSAGE_CHILDREN). Prints letters per second, the ratio
and peak memory. Wall-clock figures depend on the machine's load: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2025, 9, 5)
TYPES = ("friendly_reminder", "convocation", "formal_notice", "broken_plan_reminder", "new_tenant",
         "repeat_debtor", "late_payment", "dd_reject", "sls_sanction", "last_notice", "departed_tenant")
REGISTERED = {"formal_notice", "last_notice"}
FIRST = ["Nadia", "Paul", "Léa", "Karim", "Sophie", "Jean", "Fatou", "Hugo", "Inès", "Marc"]
LAST = ["Durand", "Martin", "Bernard", "Petit", "Robert", "Richard", "Moreau", "Simon", "Laurent", "Lefèvre"]
STREETS = ["rue Paul Bert", "avenue Jean Jaurès", "boulevard des Belges", "rue de la République",
           "place Bellecour", "cours Gambetta", "rue Garibaldi", "quai Claude Bernard"]


def build_portfolio(url: str, n: int, seed: int = 7) -> None:
    """``n`` debtor leases with 14 months of rent, payments, a few plans and rejects (bulk inserts)."""
    from arrears.core import models as m
    from arrears.core.db import make_engine, migrate

    migrate(url)
    rng = random.Random(seed)
    engine = make_engine(url)
    leases, tenants, ledger, plans, installments, rejects = [], [], [], [], [], []
    for i in range(n):
        lease_id = f"L-{i:06d}"
        letter_type = TYPES[i % len(TYPES)]
        rent, charges = rng.randrange(300_00, 700_00, 100), rng.randrange(50_00, 150_00, 100)
        departed = letter_type == "departed_tenant"
        leases.append({
            "lease_id": lease_id, "agency_id": "A1", "officer_id": "S1", "counsellor_id": "C1",
            "start_on": dt.date(2024, 11, 1) if letter_type == "new_tenant" else dt.date(2018, 1, 1),
            "end_on": dt.date(2025, 3, 31) if departed else None, "stage": "precontentieux",
            "address_line1": f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            "address_line2": f"Appartement {rng.randint(1, 120)}" if rng.random() < 0.5 else None,
            "address_line3": None, "postcode": f"6900{rng.randint(1, 9)}", "city": "Lyon", "rent_cents": rent,
            "charges_cents": charges, "benefit_cents": 0, "benefit_to_landlord": False, "payment_method": "transfer",
            "mandate_active": False, "income_cents": None, "sls_status": "sanction" if letter_type == "sls_sanction" else "none",
            "forwarding_address_line1": "5 place du Capitole" if departed else None, "forwarding_address_line2": None,
            "forwarding_postcode": "31000" if departed else None, "forwarding_city": "Toulouse" if departed else None,
            "forwarding_country": None})
        tenants.append({"tenant_id": f"{lease_id}-T1", "lease_id": lease_id, "is_holder": True,
                            "civility": rng.choice(["Mme", "M."]), "first_name": rng.choice(FIRST),
                            "last_name": rng.choice(LAST), "is_deceased": False})
        for k in range(14):
            year, month = (2024, 8 + k) if k < 5 else (2025, k - 4)
            due = dt.date(year, month, 1)
            ledger.append({"entry_id": f"{lease_id}-R{k}", "lease_id": lease_id, "posted_on": due, "due_on": due,
                               "kind": "rent", "amount_cents": rent, "label": None})
            ledger.append({"entry_id": f"{lease_id}-C{k}", "lease_id": lease_id, "posted_on": due, "due_on": due,
                               "kind": "charges", "amount_cents": charges, "label": None})
            if k < 10:
                paid = rent + charges if k < 5 else rng.randrange(0, rent + charges, 100)
                ledger.append({"entry_id": f"{lease_id}-P{k}", "lease_id": lease_id, "posted_on": due.replace(day=6),
                                   "due_on": None, "kind": "payment", "amount_cents": -paid, "label": None})
        if letter_type == "broken_plan_reminder":
            plans.append({"plan_id": f"{lease_id}-PL", "lease_id": lease_id, "kind": "amicable",
                              "agreed_on": dt.date(2025, 5, 10), "debt_cents": 900_00, "status": "active", "closed_on": None})
            installments += [{"plan_id": f"{lease_id}-PL", "due_on": dt.date(2025, mth, 10), "amount_cents": 100_00}
                             for mth in (6, 7, 8)]
        if letter_type == "dd_reject":
            rejects.append({"reject_id": f"{lease_id}-RJ", "lease_id": lease_id, "rejected_on": dt.date(2025, 9, 3),
                                "amount_cents": rent + charges, "reason_code": rng.choice(["AM04", "AC04", "MS02"])})
    with engine.begin() as conn:
        conn.execute(m.Agency.__table__.insert(), [{"agency_id": "A1", "name": "Agence Centre",
                     "address_line1": "10 rue de la République", "address_line2": None, "postcode": "69002", "city": "Lyon",
                     "phone": "04 72 00 00 01", "email": None}])
        conn.execute(m.Staff.__table__.insert(), [
            {"staff_id": "S1", "agency_id": "A1", "role": "recovery_officer", "first_name": "Claire", "last_name": "Martin",
                 "phone": "04 72 00 00 11", "email": "c.martin@example.org"},
            {"staff_id": "C1", "agency_id": "A1", "role": "social_counsellor", "first_name": "Samia", "last_name": "Benali",
                 "phone": "04 72 00 00 21", "email": None}])
        for table, rows in ((m.Lease, leases), (m.Tenant, tenants), (m.LedgerEntry, ledger), (m.Plan, plans),
                            (m.PlanInstallment, installments), (m.DdReject, rejects)):
            for start in range(0, len(rows), 5000):
                if rows[start:start + 5000]:
                    conn.execute(table.__table__.insert(), rows[start:start + 5000])
    engine.dispose()


def decisions(n: int):
    from arrears.decide.decision import Decision, LetterOrder

    out = []
    for i in range(n):
        letter_type = TYPES[i % len(TYPES)]
        order = LetterOrder(letter_type=letter_type, registered=letter_type in REGISTERED,
                            deadline_days=8 if letter_type in REGISTERED else None,
                            to_forwarding_address=letter_type == "departed_tenant",
                            out_of_departement=letter_type == "departed_tenant")
        out.append(Decision(lease_id=f"L-{i:06d}", step=3, step_id="bench", period="2025-09", as_of=AS_OF,
                            profile=("P1", "P2", "P3", "P4", "P0")[i % 5], letter=order))
    return out


def naive_page(html: str) -> str:
    """The letter as a page of its own, the stylesheet linked from it (what a developer writes first)."""
    from arrears.documents.letters import STYLESHEET

    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            f'<link rel="stylesheet" href="{STYLESHEET}"><title>Courrier</title></head><body>'
            + html + "</body></html>")


def run_naive(url: str, n: int, out_dir: Path) -> dict:
    """One WeasyPrint layout + one write_pdf per letter, one process (same DB work as the batched path)."""
    from arrears.config.landlord import load_landlord
    from arrears.core.db import make_engine
    from arrears.core.files import ensure_dir, write_atomic
    from arrears.documents import letters as L
    from arrears.documents.registered import ensure_ranges
    from arrears.documents.render import TEMPLATES_DIR, safe_url_fetcher
    from weasyprint import HTML

    engine = make_engine(url)
    landlord = load_landlord()
    letters_dir = ensure_dir(out_dir / "letters")
    done = failures = 0
    with engine.connect() as conn:
        ensure_ranges(conn, landlord)
        conn.commit()
        for d in decisions(n):
            try:
                ctx, html = L._prepare(conn, d, landlord, False)
            except Exception:  # noqa: BLE001
                failures += 1
                continue
            path = letters_dir / f"{L.safe_filename(d.lease_id)}_{ctx['document_id']}.pdf"
            # what a developer writes first: one HTML -> write_pdf per letter (stylesheet linked from the page)
            pdf = HTML(string=naive_page(html), base_url=str(TEMPLATES_DIR) + "/",
                       url_fetcher=safe_url_fetcher()).write_pdf()
            write_atomic(path, pdf)
            done += 1
    return {"letters": done, "failures": failures}


def run_batched(url: str, n: int, out_dir: Path, workers: int, batch_size: int) -> dict:
    from arrears.documents.letters import render_letters, render_letters_parallel

    if workers > 1:
        from arrears.documents.render import shutdown_pools

        result = render_letters_parallel(url, decisions(n), out_dir, workers=workers, batch_size=batch_size)
        shutdown_pools()  # the workers' CPU and memory count once they have exited (RUSAGE_CHILDREN)
    else:
        result = render_letters(url, decisions(n), out_dir, batch_size=batch_size)
    return {"letters": len(result.rendered), "failures": len(result.failures),
            "pages": sum(r.pages for r in result.rendered)}


def child(args) -> None:
    """Run one mode in this (fresh) process and print its figures as JSON."""
    out_dir = Path(args.out)
    t0 = time.perf_counter()
    if args.mode == "naive":
        figures = run_naive(args.url, args.letters, out_dir)
    else:
        figures = run_batched(args.url, args.letters, out_dir, args.workers, args.batch_size)
    seconds = time.perf_counter() - t0
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures.update(seconds=seconds, self_maxrss_mb=cpu.ru_maxrss / 1024, child_maxrss_mb=kids.ru_maxrss / 1024,
                   cpu_seconds=cpu.ru_utime + cpu.ru_stime + kids.ru_utime + kids.ru_stime,
                   bytes=sum(p.stat().st_size for p in (out_dir / "letters").glob("*.pdf")))
    print(json.dumps(figures))


def profile(url: str, n: int, out_dir: Path, batch_size: int) -> None:
    """cProfile of our path in one process: where the time goes."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    run_batched(url, n, out_dir, 1, batch_size)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    buckets = {
        "letter_context (SQL + statement)": "context.py:*letter_context",
        "Jinja render": "render.py:*render_html",
        "WeasyPrint layout (HTML.render)": "render.py:*html_document",
        "write_pdf (one per letter)": "document.py:*write_pdf",
        "registered numbers (allocate)": "registered.py:*allocate",
        "documents rows (_record)": "letters.py:*_record",
    }
    import fnmatch

    print(f"\ncProfile, our path, 1 process, {n} letters: {total:.1f} s total")
    for label, pattern in buckets.items():
        cum = sum(v[3] for k, v in stats.stats.items()
                  if fnmatch.fnmatch(f"{os.path.basename(k[0])}:{k[2]}", pattern.replace("*", "")))
        print(f"  {label:<38} {cum:7.1f} s  {100 * cum / total:5.1f} %")
    stats.sort_stats("tottime").print_stats(12)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=20, help="letters recorded per transaction")
    parser.add_argument("--profile", action="store_true", help="also cProfile our path (1 process)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--mode", choices=("naive", "batched"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        child(args)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-render-"))
    os.chmod(tmp, 0o700)
    try:
        template = tmp / "template.db"
        t0 = time.perf_counter()
        build_portfolio(f"sqlite:///{template}", args.letters)
        print(f"portfolio: {args.letters} debtor leases in {time.perf_counter() - t0:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        results = {}
        modes = ["batched"] if args.skip_naive else ["naive", "batched"]
        for mode in modes:
            db = tmp / f"{mode}.db"
            shutil.copy(template, db)
            cmd = [sys.executable, __file__, "--mode", mode, "--url", f"sqlite:///{db}", "--out",
                   str(tmp / f"out-{mode}"), "--letters", str(args.letters), "--workers", str(args.workers),
                   "--batch-size", str(args.batch_size)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode:
                print(proc.stderr[-3000:])
                return 1
            r = results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            label = ("naive: HTML().write_pdf() per letter, 1 process" if mode == "naive" else
                     f"ours: render_letters_parallel, {args.workers} processes")
            print(f"{label:<52} {r['letters']:>5} letters in {r['seconds']:7.1f} s = "
                  f"{r['letters'] / r['seconds']:6.1f} letters/s | CPU {r['cpu_seconds']:.0f} s | peak RSS "
                  f"{r['self_maxrss_mb']:.0f} MB (process), {r['child_maxrss_mb']:.0f} MB (largest worker) | "
                  f"{r['bytes'] / max(1, r['letters']) / 1024:.0f} KB/letter")
        if len(results) == 2:
            ratio = (results["batched"]["letters"] / results["batched"]["seconds"]) / (
                results["naive"]["letters"] / results["naive"]["seconds"])
            b = results["batched"]
            peak_total = b["self_maxrss_mb"] + args.workers * b["child_maxrss_mb"]
            cpu_ratio = (results["naive"]["cpu_seconds"] / results["naive"]["letters"]) / (
                b["cpu_seconds"] / b["letters"])
            print(f"ratio ours / naive: {ratio:.2f}x (wall clock); CPU seconds per letter naive / ours: "
                  f"{cpu_ratio:.2f}; "
                  f"ours peak memory <= {peak_total:.0f} MB (parent + {args.workers} x largest worker)")
        if args.profile:
            db = tmp / "profile.db"
            shutil.copy(template, db)
            profile(f"sqlite:///{db}", min(args.letters, 300), tmp / "out-profile", args.batch_size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
