"""Every DAG of the project imports cleanly, documents itself, retries, and survives serialization."""

from __future__ import annotations

import warnings

import pytest
from arrears.config.plan import load_plan
from arrears.core.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    bag.parse_warnings = [w for w in caught if issubclass(w.category, DeprecationWarning)
                          and "graphviz" not in str(w.message) and "starlette" not in (w.filename or "")]
    return bag


def test_dags_import_without_errors_or_deprecation_warnings(dagbag):
    assert dagbag.import_errors == {}
    assert [str(w.message) for w in dagbag.parse_warnings] == []


def test_one_dag_per_plan_step(dagbag):
    step_ids = {step.id for step in load_plan().steps}
    assert step_ids <= set(dagbag.dag_ids)


@pytest.mark.parametrize("step", load_plan().steps, ids=lambda s: s.id)
def test_step_dag_has_tags_docs_and_retries(dagbag, step):
    dag = dagbag.dags[step.id]
    assert "precontentieux" in dag.tags
    assert (f"semaine-{step.week}" if step.week else "au-fil-de-l-eau") in dag.tags
    assert f"Étape {step.number}" in dag.doc_md and step.title in dag.doc_md
    assert all(t.retries >= 2 for t in dag.tasks if t.task_id != "wait_for_manager")
    task_ids = {t.task_id for t in dag.tasks}
    assert {"select_cohort", "decide", "reserve_actions", "render_documents", "assemble_batches",
            "write_worklists", "record_actions", "summary"} <= task_ids
    assert ("wait_for_manager" in task_ids) == step.needs_approval


def test_every_dag_round_trips_through_serialization(dagbag):
    from airflow.serialization.serialized_objects import DagSerialization

    for dag_id, dag in dagbag.dags.items():
        data = DagSerialization.to_dict(dag)
        back = DagSerialization.from_dict(data)
        assert back.dag_id == dag_id
        assert type(back.timetable).__name__ == type(dag.timetable).__name__
        if type(dag.timetable).__name__ == "PlanStepTimetable":
            assert back.timetable == dag.timetable
        assert {t.task_id for t in back.tasks} == {t.task_id for t in dag.tasks}


def test_dag_files_do_no_heavy_import_at_parse_time():
    import subprocess
    import sys

    code = (
        "import sys; from arrears.orchestration import airflow_env; airflow_env.configure();"
        "from airflow.dag_processing.dagbag import DagBag;"
        f"DagBag(dag_folder={str(PROJECT_ROOT / 'dags')!r});"
        "heavy = [m for m in ('pandas', 'weasyprint', 'openpyxl', 'arrears.core.db', 'arrears.orchestration.pipeline') if m in sys.modules];"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = [line for line in out.stdout.splitlines() if line.startswith("HEAVY=")]
    assert heavy == ["HEAVY="]
