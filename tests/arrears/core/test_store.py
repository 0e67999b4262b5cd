"""The output store (``core.store``): the same contract on the local folder and on an S3-compatible bucket
(a moto server started by the test, named through an Airflow connection as production names its bucket).

Records are put only if absent (an earlier run's file is never replaced), work files may be rewritten, keys
cannot leave the store, a workspace shows the writers the names already taken, fetches what they read and
publishes only what is new. ``ARREARS_OUTPUT_URL`` is the one setting that chooses the bucket.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from arrears.core import settings
from arrears.core.store import LocalStore, ObjectStore, RecordExists, StoreError
from s3_server import s3_bucket, s3_server


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    if request.param == "local":
        return LocalStore(tmp_path / "output")
    url, _bucket = s3_bucket(monkeypatch, s3_server())
    return ObjectStore(url, scratch=tmp_path / "scratch")


def test_a_record_is_put_once_and_never_replaced(store):
    where = store.put("2025-09/03_x/letters/L1_D1.pdf", b"first")
    assert where == store.location("2025-09/03_x/letters/L1_D1.pdf")
    with pytest.raises(RecordExists):
        store.put("2025-09/03_x/letters/L1_D1.pdf", b"second")
    assert store.get("2025-09/03_x/letters/L1_D1.pdf") == b"first"
    store.put("runs/plan.json", "v1")
    store.put("runs/plan.json", "v2", replace=True)        # a work file is rewritten on a retry
    assert store.get_text("runs/plan.json") == "v2"
    assert store.exists("runs/plan.json") and not store.exists("runs/other.json")


def test_listing_keys_and_locations(store):
    for key in ("2025-09/a/x.pdf", "2025-09/a/sub/y.pdf", "2025-09/b/z.pdf", "2025-10/a/w.pdf"):
        store.put(key, key.encode())
    assert store.keys("2025-09/a") == ["2025-09/a/sub/y.pdf", "2025-09/a/x.pdf"]
    entries = {e.key: e.size for e in store.list("2025-09")}
    assert entries == {"2025-09/a/sub/y.pdf": 19, "2025-09/a/x.pdf": 15, "2025-09/b/z.pdf": 15}
    assert store.keys("2025-11") == []
    assert store.key_of(store.location("2025-09/b/z.pdf")) == "2025-09/b/z.pdf"


@pytest.mark.parametrize("key", ["../escape.pdf", "/abs/x.pdf", "a/../../b", "", "a//b"])
def test_a_key_cannot_leave_the_store(store, key):
    with pytest.raises(ValueError):
        store.put(key, b"x")


def test_local_records_are_owner_only(tmp_path):
    store = LocalStore(tmp_path / "output")
    path = Path(store.put("2025-09/03_x/letters/L1.pdf", b"%PDF"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]   # no temp file left


def test_a_workspace_shows_taken_names_fetches_reads_and_publishes_what_is_new(store, caplog):
    store.put("2025-09/03_x/worklists/list_S1.xlsx", b"earlier list")
    store.put("2025-09/03_x/worklists/index.html", b"old index")
    store.put("2025-09/03_x/letters/L1_D1.pdf", b"letter")
    with store.workspace("2025-09/03_x", names=("worklists/*",), fetch=("worklists/index.html",),
                         mutable=("worklists/index.html",)) as ws:
        folder = ws.root / "worklists"
        assert (folder / "list_S1.xlsx").exists()                     # a writer picking a free name sees it
        assert (folder / "index.html").read_bytes() == b"old index"   # fetched: a writer reads it
        (folder / "list_S1-2.xlsx").write_bytes(b"complement")         # the free name
        (folder / "list_S1.xlsx").write_bytes(b"rewritten")           # a record rewritten: not published
        (folder / "index.html").write_bytes(b"new index")             # mutable: replaced
        [letter] = ws.fetch([store.location("2025-09/03_x/letters/L1_D1.pdf")])
        assert letter.read_bytes() == b"letter"
        assert ws.location(folder / "list_S1-2.xlsx") == store.location("2025-09/03_x/worklists/list_S1-2.xlsx")
    assert store.get("2025-09/03_x/worklists/list_S1-2.xlsx") == b"complement"
    assert store.get("2025-09/03_x/worklists/index.html") == b"new index"
    if store.is_local:     # the folder itself: the writers' own rules apply, as before the store
        assert store.get("2025-09/03_x/worklists/list_S1.xlsx") == b"rewritten"
    else:
        assert store.get("2025-09/03_x/worklists/list_S1.xlsx") == b"earlier list"
        assert ws.kept == ["2025-09/03_x/worklists/list_S1.xlsx"]
        assert "kept the file an earlier run wrote" in caplog.text
        assert not ws.root.exists()                                   # the scratch folder is gone


def test_a_workspace_publishes_what_was_finished_before_a_failure(store):
    with pytest.raises(RuntimeError), store.workspace("2025-09/03_x") as ws:
        (ws.root / "letters").mkdir(parents=True, exist_ok=True)
        (ws.root / "letters" / "L1_D1.pdf").write_bytes(b"done")
        raise RuntimeError("the next letter failed")
    assert store.get("2025-09/03_x/letters/L1_D1.pdf") == b"done"


def test_output_url_is_the_one_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("ARREARS_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.delenv("ARREARS_OUTPUT_URL", raising=False)
    local = settings.output_store()
    assert isinstance(local, LocalStore) and local.root == tmp_path / "out"
    assert settings.work_store().root == settings.var_dir() / "runs"
    url, bucket = s3_bucket(monkeypatch, s3_server())
    monkeypatch.setenv("ARREARS_OUTPUT_URL", url)
    remote = settings.output_store()
    assert isinstance(remote, ObjectStore) and remote.conn_id == "arrears_output"
    assert remote.url == f"s3://{bucket}/prod"                        # no connection id, no secret
    assert settings.work_store().url == f"s3://{bucket}/prod/runs"
    for wrong in ("file:///srv/output", "/srv/output", "s3://key:secret@bucket/prod", "s3://key:secret@"):
        monkeypatch.setenv("ARREARS_OUTPUT_URL", wrong)
        with pytest.raises(StoreError) as raised:
            settings.output_store()
        assert "secret" not in str(raised.value)                      # a key never reaches a message


def test_the_local_default_needs_no_airflow(tmp_path):
    code = ("import sys; from arrears.core import settings; s = settings.output_store(); "
            "s.put('a/b.txt', b'x'); assert s.get('a/b.txt') == b'x'; "
            "assert not [m for m in sys.modules if m.startswith('airflow')], 'airflow imported'")
    env = {k: v for k, v in os.environ.items() if k != "ARREARS_OUTPUT_URL"}
    env.update(ARREARS_OUTPUT_DIR=str(tmp_path / "out"), ARREARS_VAR_DIR=str(tmp_path / "var"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert (tmp_path / "out" / "a" / "b.txt").read_bytes() == b"x"


def test_a_killed_task_leaves_no_letter_on_the_worker_for_long(tmp_path, monkeypatch):
    url, _bucket = s3_bucket(monkeypatch, s3_server())
    store = ObjectStore(url, scratch=tmp_path / "scratch")
    stale = tmp_path / "scratch" / "arrears-store-killed"
    recent = tmp_path / "scratch" / "arrears-store-running"
    for folder in (stale, recent):
        (folder / "letters").mkdir(parents=True)
        (folder / "letters" / "L1_D1.pdf").write_bytes(b"%PDF")
    two_days_ago = stale.stat().st_mtime - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    with store.workspace("2025-09/03_x") as ws:
        assert ws.root.exists()
    assert not stale.exists() and recent.exists()             # another task's folder is left alone
