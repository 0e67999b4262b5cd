"""Domain library of the monthly rent-arrears plan (plan mensuel de l'impayé).

Plain Python: importable and testable without Airflow. DAG files under ``dags/`` are thin wiring
around the functions of this package.
"""
