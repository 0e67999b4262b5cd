"""The plan file's per-step ``documents`` drive what a run writes (no step numbers in the pipeline)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from arrears.config import plan as plan_module
from arrears.config.plan import PlanError, load_plan
from arrears.decide.decision import Decision
from arrears.orchestration import pipeline
from arrears.orchestration.step_documents import OWN_WRITERS, lease_files, run_lists
from factories import Portfolio

PLAN_FILE = plan_module.DEFAULT_PLAN_PATH


def test_registry_reads_each_steps_documents():
    plan = load_plan()
    assert [n for n, _ in lease_files(plan.step(6).documents)] == ["transfer_file"]
    assert [n for n, _ in run_lists(plan.step(6).documents)] == ["handover_list"]
    assert [n for n, _ in lease_files(plan.step(14).documents)] == ["write_off_form"]
    # step 14's list for accounting and step 11's review packs have writers of their own (after the answers)
    assert run_lists(plan.step(14).documents) == [] and "accounting_list" in plan.step(14).documents
    assert {"accounting_list", "review_pack"} <= set(OWN_WRITERS) and "review_pack" in plan.step(11).documents
    assert lease_files(plan.step(3).documents) == [] and run_lists(plan.step(3).documents) == []
    assert lease_files(plan.step(6).documents)[0][1].load().__name__ == "write_transfer_file"


def _plan_text(tmp_path, monkeypatch, old: str, new: str):
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plan.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(plan_module, "DEFAULT_PLAN_PATH", path)
    return text.replace(old, new, 1)


def test_letter_is_listed_exactly_by_steps_with_letters(tmp_path, monkeypatch):
    text = _plan_text(tmp_path, monkeypatch, 'documents = ["letter"]', 'documents = []')
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x == "documents = []")
    with pytest.raises(PlanError, match=rf"line {line}: .*step 1 sends letters: its documents must list 'letter'"):
        load_plan()
    _plan_text(tmp_path, monkeypatch, 'documents = ["worklist"]', 'documents = ["worklist", "letter"]')
    with pytest.raises(PlanError, match="step 2 sends no letter"):
        load_plan()


@pytest.mark.parametrize("documents, expected", [
    ('["transfer_file", "handover_list"]', {"handover_list"}),
    ('["transfer_file"]', set()),
])
def test_whole_run_lists_follow_the_plan_file(sqlite_engine, tmp_path, monkeypatch, documents, expected):
    _plan_text(tmp_path, monkeypatch, 'documents = ["transfer_file", "handover_list"]', f"documents = {documents}")
    p = Portfolio(sqlite_engine)
    p.lease("L1")
    p.monthly("L1", "2025-01", 9)
    p.commit()
    spec = pipeline.RunSpec(step=6, step_id="end_of_pre_litigation", as_of="2025-09-01", run_id="test",
                            dry_run=True, db_url=str(sqlite_engine.url))
    decision = Decision(lease_id="L1", step=6, step_id="end_of_pre_litigation", period="2025-09",
                        as_of=dt.date(2025, 9, 1), figures={"balance_cents": 5400_00})
    (spec.work_dir / "decisions.jsonl").write_text(json.dumps(decision.to_dict()) + "\n", encoding="utf-8")
    paths = pipeline.write_worklists(spec)["paths"]
    assert {re.sub(r"_end_of_pre_litigation.*", "", p.rsplit("/", 1)[1]) for p in paths} == expected
