"""The run summary in French (issue 15, item 4) and the DAG documentation generated from the plan (item 3)."""

from __future__ import annotations

from arrears.config.plan import load_plan
from arrears.orchestration.dag_docs import approval_body_template, step_doc_md
from arrears.orchestration.summary_fr import summary_fr

STEP6 = {"step": 6, "as_of": "2025-10-01", "cohort": 15, "cohort_balance_cents": 4616770, "letters_by_type": {},
         "registered_letters": 0, "tasks_by_officer": {"S1": 3, "S2": 2}, "failures": [], "taken_by_this_run": 5}


def test_step6_summary_says_what_the_manager_decided_and_what_was_transferred():
    text = summary_fr(STEP6, {"approved": 5, "rejected": 10, "held_back": 2}, title="Fin de GP")
    assert text.startswith("Étape 6 — Fin de GP, traitement du 1er octobre 2025 : 15 dossiers dans la cohorte "
                           "(46\u00a0167,70\u00a0€ de dette).")
    assert "Décision du responsable : 5 approuvés, 10 refusés, 2 retenus (prérequis légaux manquants" in text
    assert "5 dossiers transmis au contentieux." in text
    assert "5 tâches pour 2 chargés de recouvrement." in text and "Aucun échec." in text
    assert "cohort_balance_cents" not in text and "4616770" not in text
    short = summary_fr(STEP6, {"approved": 5, "rejected": 10, "held_back": 2}, short=True)
    assert short == "15 dossiers · 5 approuvés · 10 refusés · 2 retenus · 5 transmis · 0 courrier · 5 tâches"


def test_letter_step_summary_counts_letters_by_type_in_french():
    summary = {"step": 3, "as_of": "2025-09-05", "cohort": 40, "letters_by_type": {"convocation": 12,
               "formal_notice": 1}, "registered_letters": 1, "tasks_by_officer": {"S1": 40},
               "failures": [{"lease_id": "L1", "error": "adresse"}], "taken_by_this_run": 38,
               "quarantined_inputs": {"ledger": 3}}
    text = summary_fr(summary, title="Dossiers + 1 500 €")
    assert "Courriers : 12 convocations, 1 mise en demeure ; 1 recommandé avec AR." in text
    assert "2 dossiers déjà traités plus tôt ce mois-ci." in text
    assert "1 échec de production" in text and "3 lignes en quarantaine" in text
    assert "L1" not in text and "adresse" not in text


def test_step_docs_come_from_the_plan():
    plan = load_plan()
    six = step_doc_md(plan.step(6), when="Le premier jour ouvré du 1er au 7")
    assert plan.step(6).description in six
    assert "dossier de transmission au contentieux par bail" in six and "liste de transmission" in six
    assert "**Approbation**" in six and "liste de dépôt" not in six
    one = step_doc_md(plan.step(1))
    assert "liste de dépôt" in one and "**Approbation**" not in one
    body = approval_body_template(plan.step(6), base_url="http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/arrears/approbations/decision?dag_id=end_of_pre_litigation" in body
    assert "un bail non coché est refusé" in body and "{{ req['month_label'] }}" in body
