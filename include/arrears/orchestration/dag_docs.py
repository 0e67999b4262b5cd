"""The texts Airflow shows for a step's DAG, generated from the plan file: the DAG's documentation
(``doc_md``, from the step's own description, letters, documents, schedule and approval) and the body of
the manager's approval request (which leads to the approval page)."""

from __future__ import annotations

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
    letters = [f"- courrier « {role} » : modèle {', '.join(sorted(set(by_profile.values())))}"
               + (" (selon le profil du débiteur)" if len(set(by_profile.values())) > 1 else "")
               for role, by_profile in step.letters.items()]
    documents = [f"- {DOCUMENT_LABELS.get(d, d)}" for d in step.documents]
    folder = f"output/AAAA-MM/{step.number:02d}_{step.id}/"
    lines = [
        f"### Étape {step.number} — {step.title}",
        "",
        f"**Quand** : {week}. {when}." if when else f"**Quand** : {week}.",
        "",
        f"**À quoi sert cette étape** : {step.description or step.title}",
        "",
        *([("**Courriers qu'elle peut envoyer** (règles de contact : un seul courrier par jour, pas de retour en "
            "arrière dans l'épisode, 10 jours d'écart sauf escalade) :"), *letters, ""] if letters else []),
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
