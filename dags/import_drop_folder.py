"""Chargement des exports du système d'information (dossier de dépôt CSV) dans la base du recouvrement.

Loads the landlord's CSV drop folder (one file per DATA.md table) with the project's importer: every row is
validated, rejected rows go to a quarantine file (row number, column, reason) and are counted, good rows
load in one transaction, re-importing is idempotent. A successful import updates the ``arrears_portfolio``
Asset that every plan step reads, so the operations team sees the lineage. Runs every business morning at
06:00, before the plan steps (07:00); nothing happens when the folder holds no CSV file.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, dag, task
from arrears.core.settings import PORTFOLIO_ASSET, PROJECT_ROOT

PORTFOLIO = Asset(name=PORTFOLIO_ASSET[0], uri=PORTFOLIO_ASSET[1])
DROP_DIR = os.environ.get("ARREARS_DROP_DIR", str(PROJECT_ROOT / "var" / "drop"))


@dag(
    dag_id="import_drop_folder",
    description="Chargement du dossier de dépôt CSV (données du SI)",
    doc_md=__doc__,
    schedule="0 6 * * 1-5",
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["precontentieux", "import"],
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=5), "owner": "recouvrement"},
)
def import_drop_folder():
    @task(outlets=[PORTFOLIO])
    def load_drop_folder() -> dict:
        from airflow.exceptions import AirflowSkipException
        from arrears.ingest.drop_folder import run_drop_folder_import

        counts = run_drop_folder_import(DROP_DIR)
        if counts.get("skipped"):
            raise AirflowSkipException(f"no CSV file in {DROP_DIR}")
        return counts

    load_drop_folder()


import_drop_folder()
