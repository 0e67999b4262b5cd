"""One store for what the product writes, named by a URL: a local folder by default, a bucket in production.

Everything a run writes — letters, mailroom batches, deposit lists, worklists, review packs, reports, run
summaries (the records) and the work files the tasks of a run hand to each other (decisions, rendered-chunk
manifests) — goes through a :class:`Store`. Keys are relative, ``/``-separated names (``2025-09/03_x/letters/
L1_D1.pdf``): they carry lease ids and document ids, never a tenant's name.

- :class:`LocalStore` — a folder (``output/``, ``ARREARS_OUTPUT_DIR``): files written atomically, mode 0600 in
  0700 folders (``core.files``); a record is put only if absent (a hard link from a temp file: atomic, and it
  cannot replace what is there).
- :class:`ObjectStore` — an object storage URL (``ARREARS_OUTPUT_URL=s3://<conn_id>@bucket/prefix``) through
  Airflow's object storage (``airflow.sdk.ObjectStoragePath``, fsspec underneath; the Airflow connection gives
  the endpoint and the keys). A record is put with an exclusive create (S3 ``If-None-Match: *``): it never
  replaces an object an earlier run wrote, even when two workers race.

The document writers (WeasyPrint, openpyxl, pikepdf) write files into a folder. :meth:`Store.workspace` gives
them one: the folder itself for a local store (nothing copied, behaviour as before), a scratch folder for a
bucket — the names already in the store are there as empty placeholders (so a writer that picks the next
free name, ``…-2.pdf``, sees them), the files a writer must read are fetched, and on leaving every new file
is published (only if absent). A writer that rewrote a record finds the earlier one kept (logged with its
key); files named ``mutable`` (an index rewritten after each run) are replaced.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from arrears.core.files import FILE_MODE, ensure_dir, write_atomic

log = logging.getLogger(__name__)

PUBLISH_THREADS = 8


class StoreError(RuntimeError):
    """A store that cannot be used as configured (said to the user, not a traceback)."""


class RecordExists(FileExistsError):
    """A record is already at this key: an earlier run wrote it, and no later run replaces it."""


@dataclass(frozen=True)
class Entry:
    key: str
    size: int
    modified: dt.datetime | None


def check_key(key: str) -> str:
    """A key is relative, ``/``-separated, without ``..``: it cannot leave the store's root."""
    key = str(key).replace(os.sep, "/")
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a store key: {key!r}")
    return key


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


class Store:
    """Put, read, test and list files at relative keys; see the module's docstring."""

    url: str          # what the store is called in logs and summaries (never a secret)
    is_local: bool

    def put(self, key: str, data: bytes | str, *, replace: bool = False) -> str:
        """Write ``data`` at ``key`` atomically; a record (``replace=False``) only if absent, else
        :class:`RecordExists`. Returns the file's location (a path, or a URL)."""
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def get_text(self, key: str) -> str:
        return self.get(key).decode("utf-8")

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list(self, prefix: str = "") -> list[Entry]:
        """Every file under ``prefix`` (recursively), sorted by key; hidden files (``.name``) left out."""
        raise NotImplementedError

    def keys(self, prefix: str = "") -> list[str]:
        return [e.key for e in self.list(prefix)]

    def location(self, key: str) -> str:
        """Where the file at ``key`` is, as people and the summaries name it."""
        raise NotImplementedError

    def key_of(self, location: str | Path) -> str:
        """The key of a location this store gave (the inverse of :meth:`location`)."""
        raise NotImplementedError

    def workspace(self, prefix: str, *, names: Iterable[str] = (), fetch: Iterable[str] = (),
                  mutable: Iterable[str] = ()):
        """A local folder standing for ``prefix`` (see the module's docstring). ``names``: glob patterns
        (relative to ``prefix``) of the existing files a writer must see; ``fetch``: patterns of those it
        must read; ``mutable``: patterns of files it may rewrite."""
        raise NotImplementedError


# --------------------------------------------------------------------------------------------------
# A local folder
# --------------------------------------------------------------------------------------------------


class LocalStore(Store):
    is_local = True

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.url = str(self.root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | str, *, replace: bool = False) -> str:
        try:
            return str(write_atomic(self.path(key), data, replace=replace))
        except FileExistsError:
            raise RecordExists(key) from None

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str = "") -> list[Entry]:
        folder = self.root / check_key(prefix) if prefix else self.root
        if not folder.is_dir():
            return []
        out = []
        for path in folder.rglob("*"):
            rel = path.relative_to(self.root)
            if path.is_file() and not any(p.startswith(".") for p in rel.parts):
                stat = path.stat()
                out.append(Entry(rel.as_posix(), stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)))
        return sorted(out, key=lambda e: e.key)

    def location(self, key: str) -> str:
        return str(self.path(key))

    def key_of(self, location: str | Path) -> str:
        return check_key(Path(location).relative_to(self.root).as_posix())

    @contextmanager
    def workspace(self, prefix: str, *, names: Iterable[str] = (), fetch: Iterable[str] = (),
                  mutable: Iterable[str] = ()) -> Iterator[Workspace]:
        # The folder itself: the writers keep their own rules (atomic writes, free names), nothing is copied.
        root = ensure_dir(self.root / check_key(prefix) if prefix else self.root)
        yield Workspace(self, prefix, root)


# --------------------------------------------------------------------------------------------------
# Object storage (S3-compatible bucket, ...) through Airflow
# --------------------------------------------------------------------------------------------------


class ObjectStore(Store):
    is_local = False

    def __init__(self, url: str, scratch: Path | str | None = None):
        parts = urlsplit(url)
        userinfo, _, host = parts.netloc.rpartition("@")
        if not parts.scheme or not host:
            shown = parts._replace(netloc=host).geturl()      # never what stood before the @
            raise StoreError(f"output URL {shown!r}: expected <scheme>://[<connection id>@]<bucket>/<prefix>")
        if ":" in userinfo:
            raise StoreError("output URL: name an Airflow connection (s3://<conn_id>@bucket/prefix), "
                             "never a key or password in the URL")
        self.conn_id = userinfo or None
        self.url = f"{parts.scheme}://{host}{parts.path.rstrip('/')}"
        self.scratch = Path(scratch) if scratch else None
        try:
            from airflow.sdk import ObjectStoragePath
        except ImportError as exc:  # pragma: no cover - Airflow is a dependency of the product
            raise StoreError(f"output URL {self.url}: Airflow's object storage is not installed ({exc})") from exc
        self.base = ObjectStoragePath(self.url, conn_id=self.conn_id)

    def _path(self, key: str):
        return self.base / check_key(key)

    def put(self, key: str, data: bytes | str, *, replace: bool = False) -> str:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        path = self._path(key)
        if replace:
            path.write_bytes(payload)
            return self.location(key)
        try:
            # exclusive create: S3's conditional write (If-None-Match: *), atomic on the server
            with path.open("xb") as fh:
                fh.write(payload)
        except FileExistsError:
            raise RecordExists(key) from None
        return self.location(key)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def list(self, prefix: str = "") -> list[Entry]:
        fs = self.base.fs
        top = self.base.path.rstrip("/")
        where = f"{top}/{check_key(prefix)}" if prefix else top
        fs.invalidate_cache(where)     # another worker may have written since this process last listed
        out = []
        for name, info in fs.find(where, detail=True).items():
            if info.get("type", "file") != "file":
                continue
            key = name[len(top) + 1:] if name.startswith(top + "/") else name
            if any(p.startswith(".") for p in key.split("/")):
                continue
            modified = info.get("LastModified") or info.get("mtime")
            out.append(Entry(key, int(info.get("size") or 0), modified if isinstance(modified, dt.datetime) else None))
        return sorted(out, key=lambda e: e.key)

    def location(self, key: str) -> str:
        return f"{self.url}/{check_key(key)}"

    def key_of(self, location: str | Path) -> str:
        location = str(location)
        if not location.startswith(self.url + "/"):
            raise ValueError(f"{location!r} is not in {self.url}")
        return check_key(location[len(self.url) + 1:])

    def fetch_many(self, pairs: list[tuple[str, Path]]) -> None:
        """Download each key to its local path (mode 0600), many at once (fsspec's bulk get)."""
        if not pairs:
            return
        top = self.base.path.rstrip("/")
        for _key, path in pairs:
            ensure_dir(path.parent)
        self.base.fs.get([f"{top}/{k}" for k, _ in pairs], [str(p) for _, p in pairs])
        for _key, path in pairs:
            os.chmod(path, FILE_MODE)

    @contextmanager
    def workspace(self, prefix: str, *, names: Iterable[str] = (), fetch: Iterable[str] = (),
                  mutable: Iterable[str] = ()) -> Iterator[Workspace]:
        names, fetch, mutable = tuple(names), tuple(fetch), tuple(mutable)
        scratch = ensure_dir(self.scratch) if self.scratch else None
        if scratch:
            _clear_stale(scratch)
        root = Path(tempfile.mkdtemp(prefix="arrears-store-", dir=scratch))   # 0700, this task's only
        ws = Workspace(self, prefix, root, mutable=mutable)
        try:
            patterns = names + fetch
            if patterns:
                existing = {e.key for p in _list_roots(patterns) for e in self.list(join(prefix, p))}
                rels = sorted({k[len(prefix) + 1:] if prefix else k for k in existing})
                to_fetch = [r for r in rels if _matches(r, fetch)]
                for rel in rels:
                    if _matches(rel, names) and rel not in to_fetch:
                        _placeholder(root / rel)
                self.fetch_many([(join(prefix, r), root / r) for r in to_fetch])
            ws.snapshot()
            try:
                yield ws
            finally:
                ws.publish()   # what a writer finished is kept, even when a later writer failed
        finally:
            shutil.rmtree(root, ignore_errors=True)


STALE_SCRATCH_SECONDS = 24 * 3600


def _clear_stale(scratch: Path) -> None:
    """Remove the scratch folders a killed task left (letters must not linger on a worker's disk)."""
    import time

    for folder in scratch.glob("arrears-store-*"):
        try:
            if folder.stat().st_mtime < time.time() - STALE_SCRATCH_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


def _list_roots(patterns: tuple[str, ...]) -> set[str]:
    """The folders to list for glob patterns: each pattern's part before its first wildcard."""
    roots = set()
    for pattern in patterns:
        literal = []
        for part in pattern.split("/"):
            if any(c in part for c in "*?["):
                break
            literal.append(part)
        roots.add("/".join(literal[:-1] if len(literal) == len(pattern.split("/")) else literal))
    return {"" if not r else r for r in roots}


def _matches(rel: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


def _placeholder(path: Path) -> None:
    ensure_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))


class Workspace:
    """A local folder (``root``) standing for the store's ``prefix``; see :meth:`Store.workspace`."""

    def __init__(self, store: Store, prefix: str, root: Path, mutable: tuple[str, ...] = ()):
        self.store, self.prefix, self.root, self.mutable = store, prefix, Path(root), mutable
        self._seen: dict[str, tuple[int, int, int]] = {}
        self.kept: list[str] = []        # keys whose earlier record was kept over a rewrite

    def key(self, path: Path | str) -> str:
        return join(self.prefix, Path(path).relative_to(self.root).as_posix())

    def location(self, path: Path | str) -> str:
        """The store location of a file written in the workspace (a path for a local store)."""
        return str(path) if self.store.is_local else self.store.location(self.key(path))

    def local(self, location: str | Path) -> Path:
        """The workspace file of a store location (the same path for a local store)."""
        if self.store.is_local:
            return Path(location)
        key = self.store.key_of(location)
        if self.prefix and not key.startswith(self.prefix + "/"):
            raise ValueError(f"{key} is outside {self.prefix}")
        return self.root / (key[len(self.prefix) + 1:] if self.prefix else key)

    def fetch(self, locations: Iterable[str], *, missing_ok: bool = False) -> list[Path]:
        """Bring the files at ``locations`` into the workspace; returns their local paths (in order)."""
        locations = list(locations)
        paths = [self.local(loc) for loc in locations]
        if not self.store.is_local:
            # absent here, or an empty placeholder of a file the store holds
            want = [(self.store.key_of(loc), p) for loc, p in zip(locations, paths, strict=True)
                    if not p.exists() or p.stat().st_size == 0]
            if missing_ok:
                want = [(k, p) for k, p in want if self.store.exists(k)]
            self.store.fetch_many(want)
            for _key, path in want:
                self._seen[path.relative_to(self.root).as_posix()] = _stat(path)
        return paths

    def snapshot(self) -> None:
        self._seen = {p.relative_to(self.root).as_posix(): _stat(p) for p in _files(self.root)}

    def publish(self) -> list[str]:
        """Put every new file into the store (only if absent) and the rewritten ``mutable`` ones; returns
        the keys put."""
        if self.store.is_local:
            return []
        new, changed = [], []
        for path in _files(self.root):
            rel = path.relative_to(self.root).as_posix()
            if rel not in self._seen:
                new.append(path)
            elif _stat(path) != self._seen[rel]:
                changed.append(path)
        for path in changed:
            if not _matches(path.relative_to(self.root).as_posix(), self.mutable):
                self._keep(self.key(path))
        replace = [p for p in changed if _matches(p.relative_to(self.root).as_posix(), self.mutable)]
        jobs = [(p, False) for p in new] + [(p, True) for p in replace]
        from concurrent.futures import ThreadPoolExecutor

        def put(job):
            path, rewrite = job
            try:
                self.store.put(self.key(path), path.read_bytes(), replace=rewrite)
                return self.key(path)
            except RecordExists:
                self._keep(self.key(path))
                return None

        with ThreadPoolExecutor(max_workers=PUBLISH_THREADS) as pool:
            done = [k for k in pool.map(put, jobs) if k]
        self.snapshot()
        return done

    def _keep(self, key: str) -> None:
        self.kept.append(key)
        log.warning("%s: kept the file an earlier run wrote (a record is never replaced)", key)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(root).parts))


def _stat(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino
