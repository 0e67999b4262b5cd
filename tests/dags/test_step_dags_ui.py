"""What the Airflow UI shows of the step DAGs (issue 15, item 3): French display names in plan order, a
text date field whose format matches its help, Asset URIs naming the real output folders, the French
summary task, the approval request's options."""

from __future__ import annotations

import pytest
from arrears.config.plan import load_plan
from arrears.core.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_display_names_sort_in_plan_order(dagbag):
    steps = load_plan().steps
    names = [dagbag.dags[s.id].dag_display_name for s in steps]
    assert names[0] == "01 — Gestion des soldes < 100 €"
    assert names[5] == "06 — Fin de GP (fin de gestion précontentieuse)"
    assert names == sorted(names)


def test_as_of_is_a_text_field_in_the_help_texts_format(dagbag):
    param = dagbag.dags["end_of_pre_litigation"].params.get_param("as_of")
    assert "format" not in param.schema and param.schema["pattern"] == r"^\d{4}-\d{2}-\d{2}$"
    assert "AAAA-MM-JJ" in param.description
    param.resolve("2025-10-01")
    with pytest.raises(Exception):  # noqa: B017 - Airflow's ParamValidationError
        param.resolve("10/01/2025")


def test_assets_name_the_output_folders_and_the_run_ends_with_a_french_summary(dagbag):
    dag = dagbag.dags["end_of_pre_litigation"]
    uris = {a.uri for t in dag.tasks for a in getattr(t, "outlets", [])}
    assert any(u.endswith("/output/YYYY-MM/06_end_of_pre_litigation/letters") for u in uris), uris
    assert dag.get_task("resume").task_display_name == "Résumé du traitement"
    assert dag.get_task("wait_for_manager").task_display_name == "Décision du responsable"
