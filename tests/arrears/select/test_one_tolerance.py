"""One tolerance: the plan file's. Change it in a temporary plan file and ``positions`` (the command line's
figures), the cohorts, the decisions, the letters and the transfer file's arrears start all move together."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from arrears.config import plan as plan_module
from arrears.decide.decision import Decision
from arrears.decide.steps import decide_step
from arrears.documents.letters import render_letters
from arrears.documents.transfer import identity_context
from arrears.select.cohorts import cohort_frame
from arrears.select.positions import positions_frame
from factories import Portfolio
from pypdf import PdfReader

D = dt.date(2025, 9, 10)  # step 7 (new tenants): arrears age > 15 days


@pytest.fixture
def plan_with_tolerance(tmp_path, monkeypatch):
    """Point the plan loader at a copy of include/plan.toml whose tolerance is ``cents``."""

    def use(cents: int):
        text = plan_module.DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
        text, n = re.subn(r"(?m)^tolerance_cents = \d+", f"tolerance_cents = {cents}", text)
        assert n == 1
        path = tmp_path / f"plan_{cents}.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(plan_module, "DEFAULT_PLAN_PATH", path)
        assert plan_module.load_plan().tolerance_cents == cents

    return use


def new_tenant_owing_30_euros_since_august(engine) -> None:
    """600 € due on 1 Aug, 570 € paid on 5 Aug (30 € left), 600 € due on 1 Sep, nothing paid since."""
    p = Portfolio(engine)
    p.lease("L1", rent=500_00, charges=100_00, start_on="2025-03-01")
    p.charge("L1", "2025-08-01", 600_00)
    p.pay("L1", "2025-08-05", 570_00)
    p.charge("L1", "2025-09-01", 600_00)
    p.commit()


def letters_text(result) -> str:
    return " ".join(re.sub(r"\s+", " ", page.extract_text() or "")
                    for doc in result.rendered for page in PdfReader(str(doc.path)).pages)


@pytest.mark.parametrize("tolerance, arrears_start, in_cohort", [
    (10_00, dt.date(2025, 8, 1), True),    # 30 € > 10 €: in arrears since 1 Aug (40 days)
    (50_00, dt.date(2025, 9, 1), False),   # 30 € <= 50 €: the arrears start again on 1 Sep (9 days)
])
def test_positions_cohorts_and_letters_read_the_plan_files_tolerance(engine, tmp_path, plan_with_tolerance,
                                                                      tolerance, arrears_start, in_cohort):
    plan_with_tolerance(tolerance)
    new_tenant_owing_30_euros_since_august(engine)

    with engine.connect() as conn:  # what `arrears positions --as-of D` prints
        row = positions_frame(conn, D).set_index("lease_id").loc["L1"]
    assert row["arrears_start"] == arrears_start.isoformat()
    assert row["balance_cents"] == 630_00

    cohort = cohort_frame(engine, 7, D)
    assert ("L1" in set(cohort["lease_id"])) is in_cohort
    decisions = decide_step(engine, 7, D)
    assert [d.lease_id for d in decisions if d.letter] == (["L1"] if in_cohort else [])

    result = render_letters(engine, decisions, tmp_path / "out", dry_run=True)
    assert [doc.lease_id for doc in result.rendered] == (["L1"] if in_cohort else [])
    if in_cohort:
        assert "630,00 €" in letters_text(result)

    # The transfer file and the write-off form compute the arrears start from the ledger when a decision
    # does not carry it: with the same tolerance.
    bare = Decision(lease_id="L1", step=6, step_id="end_of_pre_litigation", period="2025-09", as_of=D)
    with engine.connect() as conn:
        assert identity_context(conn, bare)["arrears_start"] == arrears_start
