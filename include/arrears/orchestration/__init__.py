"""The Airflow glue: task functions of a step's DAG, running DAGs, alerts, the month view's data."""
