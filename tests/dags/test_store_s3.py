"""Output in an S3-compatible bucket (``ARREARS_OUTPUT_URL``), as workers on two hosts share it.

A moto server started by the test plays the bucket, named through an Airflow connection
(``AIRFLOW_CONN_ARREARS_OUTPUT``: endpoint and dummy keys). Step 3 on 5 September 2025 (BIG-1 and BIG-2:
formal notice by registered mail; BIG-3: convocation, a simple letter) runs its task functions as the step
DAG does, with the rendering on "another host": a child process with its own var/ and output/ folders. The
batch task then assembles the letters it fetches from the bucket. Checked, on SQLite and PostgreSQL: the
letters, batches, deposit list, worklists and run summary are in the bucket (nothing in either host's
output folder, no work file left on a host), the batch PDFs are valid with the right page count, the
``documents`` rows say where each letter is; then a re-run through Airflow (``dag.test``) writes no letter
and no batch and replaces no object; the month's KPI report is written there too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from arrears.core import models as m
from pypdf import PdfReader
from s3_server import s3_bucket, s3_server
from sqlalchemy import select

SEP5 = dt.date(2025, 9, 5)

RENDER_ON_HOST_B = r"""
import json, sys
from arrears.orchestration import pipeline
spec = pipeline.RunSpec.from_dict(json.loads(sys.argv[1]))
for chunk in json.loads(sys.argv[2]):
    pipeline.render_documents(spec, chunk)
"""


@pytest.fixture
def bucket(db_url, monkeypatch, tmp_path):
    from arrears.core.db import make_engine
    from factories import three_large_balances

    server = s3_server()
    url, name = s3_bucket(monkeypatch, server)
    monkeypatch.setenv("ARREARS_OUTPUT_URL", url)
    monkeypatch.setenv("ARREARS_DB_URL", db_url)
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "host-a" / "output"))
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "host-a" / "var"))
    monkeypatch.setenv("ARREARS_RENDER_CHUNK", "2")        # two rendering tasks
    engine = make_engine(db_url)
    three_large_balances(engine)
    yield server, name, engine
    engine.dispose()


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_step_writes_into_the_bucket_and_a_rerun_replaces_nothing(bucket, tmp_path):
    from arrears.orchestration import pipeline
    from arrears.orchestration.runner import run_step

    server, name, engine = bucket
    spec = pipeline.make_spec(3, SEP5, run_id="manual__s3-1")
    parts = {"cohort": pipeline.select_cohort(spec)}
    pipeline.decide(spec)
    reservation = pipeline.reserve_actions(spec)
    assert len(reservation["chunks"]) == 2

    host_b = tmp_path / "host-b"
    env = {**os.environ, "ARREARS_VAR_DIR": str(host_b / "var"), "ARREARS_OUTPUT_DIR": str(host_b / "output")}
    done = subprocess.run([sys.executable, "-c", RENDER_ON_HOST_B, json.dumps(spec.to_dict()),
                           json.dumps(reservation["chunks"])], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    parts["batches"] = pipeline.assemble_batches(spec)
    parts["worklists"] = pipeline.write_worklists(spec)
    parts["record"] = pipeline.record_actions(spec)
    summary = pipeline.summarize(spec, parts)

    step = f"prod/2025-09/{spec.step:02d}_{spec.step_id}"
    objects = server.objects(name, "prod/")
    letters = sorted(k for k in objects if k.startswith(f"{step}/letters/"))
    assert [k.rsplit("/", 1)[1].split("_")[0] for k in letters] == ["BIG-1", "BIG-2", "BIG-3"]
    assert f"{step}/summary_manual__s3-1.json" in objects
    assert summary["output_dir"] == f"s3://{name}/{step}"
    assert f"prod/runs/{spec.work_prefix}/decisions.jsonl" in objects
    assert len([k for k in objects if k.startswith(f"prod/runs/{spec.work_prefix}/rendered_")]) == 2

    # nothing on either host: no output file, no work file, no scratch file left
    for host in (tmp_path / "host-a", host_b):
        assert _files(host / "output") == []
        assert _files(host / "var" / "runs") == [] and _files(host / "var" / "scratch") == []

    # the documents rows say where each letter is
    with engine.connect() as conn:
        documents = conn.execute(select(m.Document).where(m.Document.step == 3)).mappings().all()
    assert sorted(d["path"] for d in documents) == [f"s3://{name}/{k}" for k in letters]

    # batches: valid PDFs, cover + its back + each letter padded to even pages; deposit list = registered
    batches = summary["batches"]
    assert sorted(b["letter_class"] for b in batches) == ["registered", "simple"]
    pages_of = {d["document_id"]: d["pages"] for d in documents}
    for batch in batches:
        key = batch["path"].removeprefix(f"s3://{name}/")
        assert key in objects and key.startswith(f"{step}/mailroom/batches/")
        pdf = PdfReader(io.BytesIO(server.read(name, key)))
        expected = 2 + sum(pages_of[d] + pages_of[d] % 2 for d in batch["document_ids"])
        assert len(pdf.pages) == batch["pages"] == expected
    registered = next(b for b in batches if b["letter_class"] == "registered")
    rows = list(csv.reader(io.StringIO(server.read(name, registered["deposit_csv"].removeprefix(
        f"s3://{name}/")).decode("utf-8-sig")), delimiter=";"))
    assert sorted(r[1] for r in rows[1:]) == sorted(d["registered_number"] for d in documents
                                                     if d["registered_number"])

    # worklists (and their month index) are in the bucket
    assert summary["worklists"]
    for location in summary["worklists"] + summary["worklist_index"]:
        assert location.removeprefix(f"s3://{name}/") in objects

    # a batch task tried again makes no second batch; a re-run through Airflow writes no letter and
    # replaces no object
    assert pipeline.assemble_batches(spec) == {"batches": []}
    assert run_step(3, SEP5, quiet=True) == 0
    after = server.objects(name, "prod/")
    # records are never replaced; the run's work files (prod/runs/…, e.g. the retried task's phase timing)
    # are rewritten by a retried task by design
    records = {k: v for k, v in objects.items() if not k.startswith("prod/runs/")}
    assert records and {k: after[k] for k in records} == records
    new = sorted(set(after) - set(objects))
    assert new and all(k.startswith("prod/runs/") or k.rsplit("/", 1)[1].startswith("summary_") for k in new)
    assert _files(tmp_path / "host-a" / "output") == []

    # the month view lists and serves the step's files from the bucket
    from arrears.orchestration.month_view import outputs_listing, read_output_file

    listing = outputs_listing("2025-09", 3)
    assert listing["exists"] and {f["path"] for f in listing["files"]} == {
        k.removeprefix(f"{step}/") for k in after if k.startswith(f"{step}/")}
    batch_key = batches[0]["path"].removeprefix(f"s3://{name}/{step}/")
    assert read_output_file("2025-09", 3, batch_key) == server.read(name, f"{step}/{batch_key}")
    assert read_output_file("2025-09", 3, "../../runs/x.json") is None

    # the month's KPI report goes to the bucket too
    from arrears.report.monthly import write_report

    paths = write_report(engine, "2025-09")
    assert [p.rsplit(".", 1)[1] for p in paths] == ["html", "pdf", "csv", "xlsx"]
    reports = server.objects(name, "prod/reports/2025-09/")
    assert sorted(p.removeprefix(f"s3://{name}/") for p in paths) == sorted(reports)
    assert server.read(name, "prod/reports/2025-09/rapport-impaye-2025-09.pdf").startswith(b"%PDF")
    assert _files(tmp_path / "host-a" / "output") == []
