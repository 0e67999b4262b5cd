"""A local S3-compatible server for tests (moto's server mode: a thread on 127.0.0.1, a free port), and an
Airflow connection naming it, as production names its bucket.

    server = s3_server()                                        # one per test session (started once)
    url = s3_bucket(monkeypatch, server)                         # a fresh bucket, AIRFLOW_CONN_ARREARS_OUTPUT
    # url == "s3://arrears_s3_test@<bucket>/prod": what ARREARS_OUTPUT_URL names
    server.objects(bucket) -> {key: (etag, last_modified)}       # read back with boto3, not through the product
"""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass

CONN_ID = "arrears_output"     # the connection id production uses (docker-compose.yml, README)
_SERVER = None


@dataclass
class S3Server:
    endpoint: str
    moto: object

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing", region_name="us-east-1")

    def objects(self, bucket: str, prefix: str = "") -> dict[str, tuple[str, object]]:
        """Every object of the bucket under ``prefix``: key → (ETag, LastModified)."""
        out = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = (obj["ETag"], obj["LastModified"])
        return out

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_server() -> S3Server:
    """The session's moto server (started on first use; a daemon thread, gone with the process)."""
    global _SERVER
    if _SERVER is None:
        from moto.server import ThreadedMotoServer

        port = _free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()
        _SERVER = S3Server(endpoint=f"http://127.0.0.1:{port}", moto=moto)
    return _SERVER


def connection_json(server: S3Server) -> str:
    """The Airflow connection (``AIRFLOW_CONN_<ID>``) of the server: dummy keys, its endpoint."""
    return json.dumps({"conn_type": "aws", "login": "testing", "password": "testing",
                       "extra": {"endpoint_url": server.endpoint, "region_name": "us-east-1"}})


def s3_bucket(monkeypatch, server: S3Server, prefix: str = "prod") -> tuple[str, str]:
    """A fresh bucket and the connection naming the server; returns (ARREARS_OUTPUT_URL, bucket)."""
    bucket = f"arrears-test-{uuid.uuid4().hex[:10]}"
    server.client().create_bucket(Bucket=bucket)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection_json(server))
    return f"s3://{CONN_ID}@{bucket}/{prefix}", bucket
