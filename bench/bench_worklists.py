"""The "worklists" phase of a run, part by part: rows from the database, XLSX, PDF per officer, review packs,
hand-over list, month index — on the demo portfolio, with the decisions of the heavy steps at their dates.

    uv run python bench/bench_worklists.py                          # 33 500 leases; steps 3, 11, 13, 6
    uv run python bench/bench_worklists.py --leases 10000
    uv run python bench/bench_worklists.py --cases 3@2025-09-05 --profile    # + cProfile of that case
    uv run python bench/bench_worklists.py --db /tmp/wl.db          # seed once into that file, reuse it
    uv run python bench/bench_worklists.py --workers 1 --no-parts   # the phase alone, in one process

The demo portfolio (``arrears demo``'s generator, imported by the real importer) is seeded into a SQLite
file (kept with ``--db``, else in a temp directory); then one process takes each case's decisions
(``decide_step`` at the date, on the freshly seeded database: no earlier run of the month has acted, so
cohorts are somewhat larger than in the demo month) and times each part of the phase as the pipeline's
``write_worklists`` task does it. The PDF part is split into Jinja (HTML), WeasyPrint layout and
``write_pdf``, all in one process. Then the phase as the pipeline runs it (``write_worklists``, hand-over list,
``write_review_packs``, ``write_month_index``) with ``--workers`` render processes (default: the cores, up to
2, as under ``dag.test``). Prints seconds per part and per 1 000 rows. Wall-clock figures depend on the machine's
load: the load average is printed; the first case also pays the process's font and stylesheet set-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _phases import emit, run_phase

DEFAULT_CASES = "3@2025-09-05,11@2025-09-25,13@2025-09-01,6@2025-09-01"


def seed(args) -> None:
    from arrears.core.db import make_engine, migrate
    from arrears.demo.seed import seed_demo

    started = time.perf_counter()
    migrate(args.db_url)
    seed_demo(make_engine(args.db_url), leases=args.leases, seed=2025, workdir=Path(args.work) / "csv", echo=False)
    emit(seconds=round(time.perf_counter() - started, 2))


class Clock:
    """Seconds per part, summed over a case."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    def add(self, part: str, started: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + time.perf_counter() - started


def run_phase_as_pipeline(engine, decisions, plan_step, as_of: dt.date, out: Path, workers: int) -> float:
    """The phase end to end, as ``pipeline.write_worklists`` calls the writers: seconds."""
    from arrears.core.files import ensure_dir
    from arrears.documents.review_pack import write_review_packs
    from arrears.documents.worklists import write_month_index, write_worklists
    from arrears.orchestration.step_documents import run_lists

    started = time.perf_counter()
    folder = ensure_dir(out / as_of.strftime("%Y-%m") / f"{plan_step.number:02d}_{plan_step.id}" / "worklists")
    with_tasks = [d for d in decisions if d.tasks]
    if with_tasks:
        write_worklists(engine, with_tasks, folder, step_title=plan_step.title, as_of=as_of, workers=workers)
    handed_over = [d for d in decisions if not d.figures.get("held_back")]
    for _name, run_list in run_lists(plan_step.documents) if handed_over else ():
        write_worklists(engine, handed_over, folder, step_title=plan_step.title, as_of=as_of, title=run_list.title,
                        group_by=None, file_prefix=run_list.file_prefix, workers=workers)
    if "review_pack" in plan_step.documents and decisions:
        write_review_packs(engine, decisions, folder.parent / "review_packs", as_of=as_of,
                           step_title=plan_step.title, workers=workers)
    write_month_index(engine, out / as_of.strftime("%Y-%m"), as_of.strftime("%Y-%m"))
    return time.perf_counter() - started


def run_case(engine, step: int, as_of: dt.date, out: Path, *, parts: bool = True, workers: int = 1) -> dict:
    """The worklists phase of ``step`` at ``as_of``, part by part (what ``pipeline.write_worklists`` does),
    then end to end over ``workers`` processes."""
    from arrears.config.plan import load_plan
    from arrears.core.files import ensure_dir, write_atomic
    from arrears.decide.steps import decide_step
    from arrears.documents import worklists as W
    from arrears.documents.render import html_document, render_html
    from arrears.documents.review_pack import write_review_packs
    from arrears.documents.transfer import _connection, landlord_name, read_staff, staff_name
    from arrears.orchestration.step_documents import run_lists
    from arrears.select.cohorts import ensure_positions

    ensure_positions(engine, as_of)
    decisions = decide_step(engine, step, as_of)
    plan_step = load_plan().step(step)
    phase_s = run_phase_as_pipeline(engine, decisions, plan_step, as_of, out / "phase", workers)
    clock = Clock()
    rule = W.PriorityRule.from_plan()
    landlord = landlord_name(None)
    folder = ensure_dir(out / as_of.strftime("%Y-%m") / f"{step:02d}_{plan_step.id}" / "worklists")
    rows_total = files = pages = 0
    jobs = [("staff", [d for d in decisions if d.tasks], "Liste de travail", "worklist")]
    handed_over = [d for d in decisions if not d.figures.get("held_back")]
    for _name, run_list in run_lists(plan_step.documents) if handed_over else ():
        jobs.append((None, handed_over, run_list.title, run_list.file_prefix))
    for group_by, chosen, title, prefix in jobs:
        if not chosen or not parts:
            continue
        part = "handover " if group_by is None else ""
        started = time.perf_counter()
        with _connection(engine) as conn:
            groups = W.build_rows(conn, chosen, as_of, group_by=group_by, rule=rule)
            staff = read_staff(conn, [k for k in groups if k])
        clock.add(part + "rows", started)
        for key in sorted(groups, key=lambda k: k or ""):
            rows = groups[key]
            rows_total += len(rows)
            owner = staff_name(staff.get(key), key) if key else "Tous les dossiers"
            stem = W._free_stem(folder, f"{prefix}_{plan_step.id}_{as_of.isoformat()}" + (f"_{key}" if key else ""))
            header = f"{title} — {plan_step.title} — {owner}"
            started = time.perf_counter()
            write_atomic(folder / f"{stem}.xlsx", W.worklist_xlsx(rows, sheet_title=title, header_text=header))
            clock.add(part + "xlsx", started)
            started = time.perf_counter()
            html = render_html("documents/worklist.html", W.pdf_context(
                rows, title=title, step_title=plan_step.title, owner=owner, as_of=as_of,
                period=as_of.strftime("%Y-%m"), landlord=landlord, deadline_days=rule.deadline_days))
            clock.add(part + "pdf: html (jinja)", started)
            started = time.perf_counter()
            document = html_document(html, stylesheets=W.PDF_STYLESHEETS)
            clock.add(part + "pdf: layout (weasyprint)", started)
            started = time.perf_counter()
            write_atomic(folder / f"{stem}.pdf", document.write_pdf())
            clock.add(part + "pdf: write_pdf", started)
            files += 2
            pages += len(document.pages)
    packs = 0
    if "review_pack" in plan_step.documents and decisions and parts:
        started = time.perf_counter()
        packs = len(write_review_packs(engine, decisions, folder.parent / "review_packs", as_of=as_of,
                                       step_title=plan_step.title))
        clock.add("review packs", started)
    if parts:
        started = time.perf_counter()
        W.write_month_index(engine, out / as_of.strftime("%Y-%m"), as_of.strftime("%Y-%m"))
        clock.add("month index", started)
    return {"phase": round(phase_s, 2), "workers": workers, "step": step, "as_of": as_of.isoformat(),
            "decisions": len(decisions), "tasks": sum(len(d.tasks) for d in decisions), "rows": rows_total, "files": files, "pages": pages,
            "review_packs": packs, "parts": clock.parts}


def measure(args) -> None:
    from arrears.core.db import make_engine

    engine = make_engine(args.db_url)
    out = Path(args.work) / "output"
    results = []
    for case in args.cases.split(","):
        step, day = case.split("@")
        started = time.perf_counter()
        result = run_case(engine, int(step), dt.date.fromisoformat(day), out, parts=not args.no_parts,
                          workers=args.workers)
        result["total"] = round(sum(result["parts"].values()), 2)
        result["wall_with_decide"] = round(time.perf_counter() - started, 2)
        results.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
    emit(cases=results)


def profile(args) -> None:
    """cProfile of the first case (in this process): the functions where the time goes."""
    import cProfile
    import pstats

    from arrears.core.db import make_engine
    from arrears.decide.steps import decide_step
    from arrears.documents.worklists import write_worklists

    engine = make_engine(args.db_url)
    step, day = args.cases.split(",")[0].split("@")
    as_of = dt.date.fromisoformat(day)
    decisions = [d for d in decide_step(engine, int(step), as_of) if d.tasks]
    out = Path(args.work) / "profile"
    prof = cProfile.Profile()
    prof.enable()
    write_worklists(engine, decisions, out, step_title="bench", as_of=as_of)
    prof.disable()
    stats = pstats.Stats(prof)
    print(f"cProfile of write_worklists, step {step} at {day}: {stats.total_tt:.1f} s")
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=33500)
    parser.add_argument("--cases", default=DEFAULT_CASES, help="step@date,… (default: %(default)s)")
    parser.add_argument("--db", default=None, help="SQLite file to seed once and reuse")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="render processes for the end-to-end phase (default: %(default)s)")
    parser.add_argument("--no-parts", action="store_true", help="only the end-to-end phase")
    parser.add_argument("--profile", action="store_true", help="also cProfile the first case's write_worklists")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        {"seed": seed, "measure": measure}[args.phase](args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-worklists-") as work:
        db = Path(args.db) if args.db else Path(work) / "bench.db"
        common = ["--leases", str(args.leases), "--work", work, "--db-url", f"sqlite:///{db}", "--cases", args.cases,
                  "--workers", str(args.workers), *(["--no-parts"] if args.no_parts else [])]
        print(f"worklists benchmark: {args.leases} leases, load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs")
        if not db.exists():
            seeded = run_phase(Path(__file__), "seed", *common)
            print(f"seed (generate + import): {seeded['seconds']:.1f} s")
        result = run_phase(Path(__file__), "measure", *common)
        for case in result["cases"]:
            n = max(case["rows"], 1)
            print(f"\nstep {case['step']} at {case['as_of']}: {case['decisions']} decisions, {case['tasks']} tasks; "
                  f"phase as the pipeline runs it, {case['workers']} worker(s): {case['phase']:.1f} s")
            if not case["parts"]:
                continue
            print(f"  parts in one process: {case['rows']} rows, {case['files']} files, {case['pages']} PDF pages, "
                  f"{case['review_packs']} review packs — {case['total']:.1f} s "
                  f"({1000 * case['total'] / n:.1f} s per 1 000 rows)")
            for part, seconds in case["parts"].items():
                print(f"  {part:<34}{seconds:8.2f} s {1000 * seconds / n:8.2f} s/1000 rows")
        total = sum(c["total"] for c in result["cases"])
        rows = sum(c["rows"] for c in result["cases"])
        phase = sum(c["phase"] for c in result["cases"])
        print(f"\nall cases: phase {phase:.1f} s with {args.workers} worker(s)"
              + (f"; parts in one process {total:.1f} s for {rows} rows ({1000 * total / max(rows, 1):.1f} s per "
                 f"1 000 rows)" if rows else "")
              + f"; peak {result['peak_mb']:.0f} MB (parent), load average after {os.getloadavg()[0]:.1f}")
        if args.profile:
            os.environ.setdefault("PYTHONWARNINGS", "ignore")
            profile(argparse.Namespace(**{**vars(args), "db_url": f"sqlite:///{db}", "work": work}))


if __name__ == "__main__":
    main()
