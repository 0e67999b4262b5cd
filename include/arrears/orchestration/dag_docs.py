"""The texts Airflow shows for a step's DAG, generated from the plan file: the DAG's documentation
(``doc_md``, from the step's own description, actions, documents, schedule and approval) and the body of
the manager's approval request (which leads to the approval page)."""

from __future__ import annotations

ACTION_LABELS = {
    "letter": "un courrier au locataire (PDF individuel, lot pour le service courrier)",
    "task": "des tâches pour les chargés de recouvrement (liste de travail XLSX et PDF)",
    "file_closed": "la clôture du dossier d'impayé (action « dossier clos »)",
    "plan_completed": "les plans d'apurement soldés marqués terminés",
    "plan_broken": "les plans d'apurement non respectés clos comme rompus",
    "mandate_cancelled": "l'annulation des mandats de prélèvement rejetés (MD07, AC04, 3 rejets de suite)",
    "stage_contentieux": "le passage du bail au stade contentieux",
    "social_referral": "l'orientation vers la conseillère sociale",
    "transfer_proposed": "des propositions de transmission au contentieux pour l'étape 6 du mois suivant",
    "write_off_proposed": "des propositions de passage en perte",
    "caf_report_task": "une tâche de signalement CAF avec son délai légal quand le seuil est atteint",
    "home_visit_task": "une tâche de visite à domicile pour la conseillère sociale",
    "address_search_task": "une tâche de recherche d'adresse",
}
DOCUMENT_LABELS = {
    "letter": "courriers (PDF par bail et par document ; lots d'impression par classe avec bordereau ; "
              "liste de dépôt des recommandés en PDF et CSV)",
    "worklist": "listes de travail par chargé de recouvrement (XLSX et PDF)",
    "transfer_file": "dossier de transmission au contentieux par bail (PDF, dans transfer_files/)",
    "handover_list": "liste de transmission au service contentieux",
    "review_pack": "dossier de revue par agence pour le comité contentieux mensuel",
    "write_off_form": "fiche passage en perte par bail (PDF, dans write_off_forms/)",
    "accounting_list": "liste des passages en perte pour la comptabilité, une fois le responsable décidé",
}


def step_doc_md(step, when: str = "") -> str:
    """The DAG's documentation page, in French, from the step's entry in the plan file (``when``: the
    timetable's description of the schedule)."""
    week = f"semaine {step.week}" if step.week and not step.continuous else "au fil de l'eau"
    produces = [f"- {ACTION_LABELS.get(a, a)}" for a in step.actions]
    documents = [f"- {DOCUMENT_LABELS.get(d, d)}" for d in step.documents]
    folder = f"output/AAAA-MM/{step.number:02d}_{step.id}/"
    lines = [
        f"### Étape {step.number} — {step.title}",
        "",
        f"**Quand** : {week}. {when}." if when else f"**Quand** : {week}.",
        "",
        f"**À quoi sert cette étape** : {step.description or step.title}",
        "",
        "**Ce qu'elle fait** :",
        *produces,
        "",
        f"**Ce qu'elle produit** (dans `{folder}`, AAAA-MM étant le mois de la date du traitement) :",
        *documents,
        "- le récapitulatif du traitement, en français (tâche « Résumé du traitement », note du run, plan du mois)",
        "",
    ]
    if step.needs_approval:
        what = ("la transmission au contentieux" if step.number == 6 else "le passage en perte")
        lines += [
            (f"**Approbation** : un responsable décide {what} de chaque dossier avant que rien ne soit fait "
            "(Parcourir → Approbations, ou le lien de la demande dans Actions requises ; ou `./dev approve`). "
            "Les dossiers retenus par les règles (prérequis légaux manquants) sont montrés à part, non "
            "proposés. Un dossier refusé reste où il est ; le refus est enregistré avec son auteur et son motif."),
            "",
        ]
    lines += [
        ("**Paramètres** : `as_of` (date du traitement AAAA-MM-JJ ; le run est classé dans le mois de cette "
        "date, quelle que soit sa date logique ; vide : la date logique du run, heure de Paris), `dry_run` "
        "(aperçu dans `output/preview/` sans rien enregistrer ni attribuer de numéro de recommandé)."),
        "",
        ("Relancer l'étape pour le même mois ne produit ni second courrier, ni second numéro de recommandé, "
        "ni tâche en double."),
    ]
    return "\n".join(lines) + "\n"


def approval_body_template(step, base_url: str | None = None) -> str:
    """The body (Jinja, rendered by Airflow) of the manager's request: the month, the counts, the link to
    the approval page, and the leases as a short table for reference."""
    if base_url is None:
        try:
            from airflow.configuration import conf

            base_url = (conf.get("api", "base_url", fallback="") or "").rstrip("/")
        except Exception:  # noqa: BLE001
            base_url = ""
    what = "la transmission au contentieux" if step.number == 6 else "le passage en perte"
    link = (f"{base_url}/arrears/approbations/decision?dag_id={step.dag_id}"
            "&run_id={{ run_id|urlencode }}")
    req = "ti.xcom_pull(task_ids='approval_request')"
    return (
        "{% set req = " + req + " %}"
        "**Mois : {{ req['month_label'] }}** (traitement du {{ req['as_of_label'] }}). "
        "{{ req['lease_ids']|length }} dossier(s) proposé(s) pour " + what + "."
        "{% if req.get('held_back') %} {{ req['held_back']|length }} dossier(s) retenu(s) "
        "(prérequis légaux manquants), non proposé(s).{% endif %}\n\n"
        f"### [Décider sur la page d'approbation]({link})\n\n"
        "La page montre pour chaque dossier le locataire, l'agence, le chargé de recouvrement, le solde, les "
        "mois d'impayé, le début de l'impayé, le profil, les motifs, la check-list et le dossier PDF ; on y "
        "approuve ou refuse chaque dossier avec un motif (filtre par agence, tri par montant, « tout valider »).\n\n"
        "Ici, à défaut : **un bail coché est approuvé, un bail non coché est refusé** (sans motif) ; "
        "choisir « Tout refuser » seul pour n'en approuver aucun.\n\n"
        "{{ req['body'] }}"
    )
