"""What the KPI report prints around its figures: national references, French labels and definitions."""

from __future__ import annotations

# National references of DATA.md / DOMAIN.md (seed webinar), as ratios.
REFERENCES: dict[str, dict[str, float]] = {
    "arrears_rate": {"national": 0.035, "lmh": 0.019},
    "share_in_debt": {"national": 0.196, "lmh": 0.18},
    "recovery_rate": {"lmh": 0.9796},
}
REFERENCE_LABELS = {"national": "Moyenne nationale", "lmh": "Lyon Métropole Habitat"}
SUPPORT_QUALIFIED_TARGET = 0.90

STEP_TITLES = {
    1: "Gestion des soldes < 100 €",
    2: "RZ — dossiers remis à zéro",
    3: "Dossiers + 1 500 €",
    4: "Suivi des plans d'apurement non respectés",
    5: "Dossiers sans action",
    6: "Fin de GP",
    7: "Nouveaux entrants",
    8: "Récidivistes",
    9: "Retardataires",
    10: "Traitement des rejets de prélèvements",
    11: "Préparation fin de GP",
    12: "SLS sanction",
    13: "Soldes créditeurs",
    14: "Passage en pertes locataires sortants",
    15: "Locataires sortants débiteurs",
}

STATUS_LABELS = {"in_place": "Locataires présents", "departed": "Locataires partis"}
STAGE_LABELS = {"precontentieux": "Précontentieux", "contentieux": "Contentieux"}
AGE_BUCKETS = (
    ("lt_1m", "Moins d'1 mois"),
    ("1m_3m", "1 à 3 mois"),
    ("3m_6m", "3 à 6 mois"),
    ("6m_12m", "6 à 12 mois"),
    ("ge_12m", "12 mois et plus"),
)
DOMAIN_LABELS = {
    "budget": "Budget",
    "access_to_rights": "Accès aux droits",
    "housing_pathway": "Parcours résidentiel",
    "neighbourhood": "Troubles de voisinage",
    "health": "Santé",
    "ageing": "Vieillissement",
    "other": "Autre",
}

# The French definition printed under each figure of the report (and in the XLSX "Définitions" sheet).
DEFINITIONS = {
    "balance": (
        "Solde d'un bail à une date D : somme des écritures du compte locataire, les sommes dues comptant à "
        "leur date d'exigibilité (à défaut de comptabilisation) si elle est au plus tard D, les règlements et "
        "avoirs à leur date de comptabilisation si elle est au plus tard D. Positif : le locataire doit."
    ),
    "arrears_rate": (
        "Taux d'impayé : dette des locataires présents et partis au dernier jour du mois (somme des soldes "
        "débiteurs, sans compensation par les soldes créditeurs) ÷ montant quittancé (loyers et charges, tous "
        "baux, échéances des 12 derniers mois civils, mois du rapport inclus)."
    ),
    "recovery_rate": (
        "Taux de recouvrement : encaissements des 12 derniers mois civils (paiements, prélèvements, aides au "
        "logement versées au bailleur, nets des rejets de prélèvement, à leur date de comptabilisation) ÷ "
        "montant quittancé sur les mêmes mois (loyers et charges)."
    ),
    "share_in_debt": (
        "Taux de locataires en dette : baux en place au dernier jour du mois dont le solde est strictement "
        "positif ÷ baux en place à cette date (début du bail au plus tard ce jour, sans date de sortie ou "
        "sortie postérieure)."
    ),
    "trend": (
        "Évolution : les trois taux calculés au dernier jour de chacun des 12 derniers mois, chacun sur ses "
        "propres 12 mois glissants. Les lignes horizontales sont les références du secteur. Un point marqué "
        "« partiel » (rond vide) repose sur moins de 12 mois de quittancement : sa fenêtre commence avant la "
        "première écriture du compte locataire, ses taux ne se comparent pas à ceux d'une année pleine."
    ),
    "agencies": (
        "Par agence : les mêmes taux, limités aux baux de l'agence (agence actuelle du bail)."
    ),
    "debt_by_status": (
        "Dette par statut : nombre de débiteurs (solde strictement positif) et montant de leur dette au "
        "dernier jour du mois, selon que le locataire est présent ou parti (date de sortie au plus tard ce "
        "jour) et selon la phase du dossier (précontentieux en agence, contentieux au siège)."
    ),
    "debt_age": (
        "Ancienneté de la dette : les débiteurs classés selon le mois de leur dette la plus ancienne non "
        "soldée (les règlements soldent d'abord les échéances les plus anciennes) : mois du rapport → moins "
        "d'1 mois ; 1 ou 2 mois avant → 1 à 3 mois ; 3 à 5 → 3 à 6 mois ; 6 à 11 → 6 à 12 mois ; 12 mois "
        "avant ou plus → 12 mois et plus. Tout le solde du débiteur compte dans sa tranche."
    ),
    "steps": (
        "Ce qu'a fait le plan ce mois-ci : pour chaque étape, les baux traités (journal des actions), les "
        "courriers simples et recommandés produits, les tâches confiées aux chargés de recouvrement, les "
        "propositions de transfert au contentieux (étape 11), les dossiers transmis au contentieux, les "
        "passages en perte et les dossiers clôturés enregistrés par le plan pour ce mois. Zéro quand "
        "l'étape n'a pas tourné (les simulations ne comptent pas)."
    ),
    "profiles": (
        "Profils des débiteurs (Logeo Seine) : le profil proposé par la dernière décision du mois pour chaque "
        "bail traité par le plan (un bail compte une fois)."
    ),
    "supports": (
        "Appuis sociaux : appuis des conseillers sociaux datés du mois et depuis le 1er janvier, par agence du "
        "bail. Taux qualifié = appuis qualifiés ÷ appuis, comparé à l'objectif de 90 %. Ménages accompagnés "
        "= baux distincts ayant au moins un appui ; part des ménages = ménages accompagnés ÷ baux en place."
    ),
    "domains": (
        "Appuis par domaine depuis le 1er janvier : nombre d'appuis, ménages distincts et accompagnements "
        "renforcés."
    ),
}
