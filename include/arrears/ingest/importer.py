"""Load a landlord's CSV exports (one file per table of DATA.md) into the project's database.

    report = import_dir(engine, Path("exports/2025-09"))
    print(report.summary())
    report.files["ledger"].loaded, report.files["ledger"].quarantined, report.quarantine_paths

How an import goes:

1. Every file present is checked first (encoding, header, required columns, money units). Any problem
   there is file-level: ``ImportError_`` names the file and the column, and nothing is written.
2. Then, in ONE transaction and in the order parents → children, each file is streamed: every record is
   validated (required values, enums, dates, amounts, booleans, lengths, foreign keys against the database
   and the rows of this import), good rows are upserted in chunks on their ids, and rejected rows go to
   ``<quarantine_dir>/<file>.csv`` with their original values plus ``row_number``, ``column``, ``reason``
   (one line per rejected row listing all its problems, ``; ``-separated, in column order).
3. An unexpected database error rolls the whole import back and raises ``ImportError_``.

Re-importing the same files changes nothing (rows whose values did not change are not even rewritten);
a newer export updates the rows that changed. Columns absent from a file are left as they are on
existing rows, and take their default (empty, 0 or false) on new ones. Imported actions never carry a
plan ``step``/``period``. Logs and the summary carry counts and file names only — never tenant data.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, or_, select
from sqlalchemy.exc import SQLAlchemyError

from arrears.core import models as m
from arrears.core.db import refresh_statistics
from arrears.ingest.csvformats import (
    FileProblem,
    ValueProblem,
    detect_delimiter,
    detect_encoding,
    parse_bool,
    parse_cents,
    parse_date,
    parse_eur,
    stray_quote,
)
from arrears.ingest.report import FileReport, ImportReport
from arrears.ingest.tables import _NOUN, PARENT_TABLES, SPECS, TABLES, Col, TableSpec

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
# A cell larger than this is a row error (quarantined), not a reason to refuse the whole file; the CSV
# reader's own limit is raised far above it so that such a cell reaches the row check.
MAX_CELL_CHARS = 128 * 1024
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
QUARANTINE_EXTRA = ("row_number", "column", "reason")
_REQUIRED = object()  # marks a field whose empty cell is a row error


class ImportError_(Exception):
    """A file-level failure (unreadable file, missing column, database error): nothing was loaded.

    ``problems`` lists every problem found, each naming its file (and column when there is one).
    """

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))



# --------------------------------------------------------------------------------------------------
# Phase 1: check every file before writing anything
# --------------------------------------------------------------------------------------------------


@dataclass
class _Field:
    col: Col
    index: int  # position in the file's records
    file_column: str  # the name in the file (``rent_eur`` for ``rent_cents``)
    convert: Callable[[str], Any]


@dataclass
class _FilePlan:
    spec: TableSpec
    report: FileReport
    header: list[str]  # as written in the file
    fields: list[_Field]
    absent: dict[str, Any]  # optional columns the file does not carry, with their default
    present: list[str]  # model columns the file carries (updated on conflict)


def _max_length(table: str, column: str) -> int | None:
    col_type = m.Base.metadata.tables[table].c[column].type
    return col_type.length if isinstance(col_type, String) else None


def _text_converter(max_len: int | None) -> Callable[[str], str]:
    """Text kept as written (identifiers keep their leading zeros); a line break inside a quoted field
    is stored as ``\\n`` whatever the file's line endings."""
    limit = max_len if max_len is not None else float("inf")

    def convert(raw: str) -> str:
        if "\r" in raw:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        if len(raw) > limit:
            raise ValueProblem(f"too long: {len(raw)} characters, at most {max_len}")
        return raw
    return convert


def _non_negative(convert: Callable[[str], int]) -> Callable[[str], int]:
    def checked(raw: str) -> int:
        value = convert(raw)
        if value < 0:
            raise ValueProblem(f"negative amount: {raw!r}")
        return value
    return checked


def _enum_converter(choices: tuple[str, ...]) -> Callable[[str], str]:
    lookup = {c.lower(): c for c in choices}
    def convert(raw: str) -> str:
        try:
            return lookup[raw.lower()]
        except KeyError:
            raise ValueProblem(f"unknown value {raw!r} (expected one of: {', '.join(choices)})") from None
    return convert


def _plan_file(spec: TableSpec, path: Path) -> _FilePlan:
    """Read the header of ``path`` and map it on ``spec``; raises ``FileProblem`` (column named)."""
    if path.stat().st_size == 0:
        raise FileProblem("empty file (0 bytes): a header row is required")
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        delimiter = detect_delimiter(fh.readline())
        fh.seek(0)
        header = next(csv.reader(fh, delimiter=delimiter), None)
    if not header or not any(h.strip() for h in header):
        raise FileProblem("no header row (the first line is empty)")
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    problems: list[str] = []
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            continue  # a trailing delimiter: an unnamed empty column
        if name in index:
            problems.append(f"column {name!r} appears twice")
        index.setdefault(name, i)
    fields: list[_Field] = []
    absent: dict[str, Any] = {}
    expected: set[str] = set()
    for col in spec.columns:
        candidates = [(col.name, None)]
        if col.kind == "money":
            eur = col.name.removesuffix("_cents") + "_eur"
            candidates = [(col.name, parse_cents), (eur, parse_eur)]
        expected.update(c for c, _ in candidates)
        found = [(c, conv) for c, conv in candidates if c in index]
        if len(found) > 1:
            problems.append(f"both columns {found[0][0]!r} and {found[1][0]!r}: give the amount in one unit")
            continue
        if not found:
            if col.required:
                alt = f" (or {candidates[1][0]!r})" if len(candidates) > 1 else ""
                problems.append(f"missing required column {col.name!r}{alt}")
            else:
                absent[col.name] = col.default
            continue
        file_column, convert = found[0]
        if convert is not None and col.non_negative:
            convert = _non_negative(convert)
        if convert is None:
            if col.kind == "date":
                convert = parse_date
            elif col.kind == "bool":
                convert = parse_bool
            elif col.kind == "enum":
                convert = _enum_converter(col.choices)
            else:
                convert = _text_converter(_max_length(spec.table, col.name))
        fields.append(_Field(col, index[file_column], file_column, convert))
    if problems:
        raise FileProblem("; ".join(problems))
    unknown = [header[i].strip().lstrip("\ufeff") for name, i in index.items() if name not in expected]
    report = FileReport(name=spec.file_name, table=spec.table, path=path, encoding=encoding,
                        delimiter=delimiter, unknown_columns=unknown)
    return _FilePlan(spec, report, header, fields, absent, [f.col.name for f in fields])


def _find_files(directory: Path) -> dict[str, Path]:
    """The DATA.md files of ``directory`` by table name (file names matched case-insensitively)."""
    by_name = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    return {spec.table: by_name[spec.file_name] for spec in TABLES if spec.file_name in by_name}


# --------------------------------------------------------------------------------------------------
# Phase 2: validate, quarantine and upsert, in one transaction
# --------------------------------------------------------------------------------------------------


class _Quarantine:
    """The rejected rows of one file, written to a temp file and renamed into place on success."""

    def __init__(self, directory: Path, name: str, header: list[str], delimiter: str):
        self.final = directory / name
        self.directory = directory
        # An input that is itself a corrected quarantine file carries row_number/column/reason: keep
        # only the new ones.
        self.keep = [i for i, h in enumerate(header) if h.strip().lstrip("\ufeff").lower() not in QUARANTINE_EXTRA]
        self.header = [header[i] for i in self.keep]
        self.width = len(header)
        self.delimiter = delimiter
        self.tmp: Path | None = None
        self._fh = None
        self._writer = None

    def write(self, record: list[str], row_number: int, problems: list[tuple[str, str]]) -> None:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.final.name}.", suffix=".tmp", dir=self.directory)
            self.tmp = Path(tmp)
            self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow([*self.header, *QUARANTINE_EXTRA])
        padded = (record + [""] * self.width)[: self.width]
        values = [padded[i] for i in self.keep]
        columns = "; ".join(c for c, _ in problems if c)
        reasons = "; ".join(r for _, r in problems)
        self._writer.writerow([*values, row_number, columns, reasons])

    def commit(self) -> Path | None:
        if self._fh is None:
            if self.final.exists():  # a stale file of an earlier import of the same file
                self.final.unlink()
            return None
        self._fh.close()
        os.chmod(self.tmp, 0o600)
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self.tmp.unlink(missing_ok=True)


def _upsert_statement(conn, spec: TableSpec, update_columns: list[str], source=None):
    """``insert ... on conflict (key) do update`` the columns the file carries, for this dialect.

    ``source`` (PostgreSQL only): a ``select`` whose rows are inserted, instead of bound values.
    """
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - the project supports these two
        raise ImportError_([f"unsupported database dialect {conn.dialect.name!r}"])
    table = m.Base.metadata.tables[spec.table]
    stmt = insert(table)
    if source is not None:
        stmt = stmt.from_select([c.name for c in spec.columns], source)
    if not update_columns:
        return stmt.on_conflict_do_nothing(index_elements=list(spec.key))
    # Only rewrite rows whose values changed: a re-import of the same export touches nothing.
    changed = or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in update_columns])
    return stmt.on_conflict_do_update(
        index_elements=list(spec.key), set_={c: stmt.excluded[c] for c in update_columns}, where=changed,
    )


def _numbered(reader):
    """(row number, record) for each record after the header (row 1); a CSV syntax error names its row."""
    row_number = 1
    while True:
        row_number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise csv.Error(f"row {row_number}: {exc}") from exc
        yield row_number, record


def _record_problems(raw: str, record: list[str], header: list[str], delimiter: str) -> list[tuple[str, str]]:
    """Row errors seen on the record as written: a stray double quote, a cell over ``MAX_CELL_CHARS``."""
    problems: list[tuple[str, str]] = []
    field = stray_quote(raw, delimiter)
    if field is not None:
        column = header[field - 1].strip() if field <= len(header) else f"field {field}"
        reason = "stray double quote in the field: quote the whole field and double the quotes inside it"
        problems.append((column, reason))
    for i, cell in enumerate(record):
        if len(cell) > MAX_CELL_CHARS:
            column = header[i].strip() if i < len(header) else f"field {i + 1}"
            problems.append((column, f"cell too large: {len(cell)} characters (at most {MAX_CELL_CHARS})"))
    return problems


@lru_cache(maxsize=1 << 16)
def _iso_date(raw: str) -> str:
    """A CSV date as SQLite stores it (``YYYY-MM-DD`` text, SQLAlchemy's own ``Date`` format)."""
    return parse_date(raw).isoformat()


class _SqliteUpsert:
    """Upserts chunks of rows (lists in the order of ``spec.columns``, dates as ISO text) on SQLite.

    The statement is compiled once and run through the driver's ``executemany`` with plain tuples:
    SQLAlchemy's per-row parameter processing would otherwise cost a third of the import time.
    """

    def __init__(self, conn, spec: TableSpec, update_columns: list[str]):
        self.conn = conn
        columns = [c.name for c in spec.columns]
        compiled = _upsert_statement(conn, spec, update_columns).compile(dialect=conn.dialect,
                                                                          column_keys=columns)
        order = list(compiled.positiontup)
        if sorted(order) != sorted(columns):  # pragma: no cover - a guard on SQLAlchemy's compilation
            raise RuntimeError(f"unexpected parameters for {spec.table}: {order}")
        self.sql = str(compiled)
        self.pick = itemgetter(*[columns.index(name) for name in order])

    def add(self, rows: list[list[Any]]) -> None:
        self.conn.exec_driver_sql(self.sql, [self.pick(row) for row in rows])

    def finish(self) -> None:
        pass


class _PostgresUpsert:
    """Upserts rows on PostgreSQL: ``COPY`` into a temporary staging table, then one
    ``insert ... select ... on conflict do update`` into the real table when the file is done."""

    def __init__(self, conn, spec: TableSpec, update_columns: list[str]):
        self.conn = conn
        table = m.Base.metadata.tables[spec.table]
        self.staging = Table(f"import_staging_{spec.table}", MetaData(),
                             *[Column(c.name, table.c[c.name].type) for c in spec.columns],
                             prefixes=["TEMPORARY"])
        self.staging.create(conn)
        quote = conn.dialect.identifier_preparer.quote
        # Identifiers only (the staging table and its columns); every value goes through COPY.
        self.copy_sql = "copy {} ({}) from stdin".format(
            quote(self.staging.name), ", ".join(quote(c.name) for c in spec.columns))
        self.stmt = _upsert_statement(conn, spec, update_columns, source=select(*self.staging.c))

    def add(self, rows: list[list[Any]]) -> None:
        cursor = self.conn.connection.dbapi_connection.cursor()
        with cursor.copy(self.copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.close()

    def finish(self) -> None:
        self.conn.execute(self.stmt)
        self.staging.drop(self.conn)


class _Loader:
    def __init__(self, conn, quarantine_dir: Path):
        self.conn = conn
        self.quarantine_dir = quarantine_dir
        self.dates_as_text = conn.dialect.name == "sqlite"
        self.known: dict[str, set[str]] = {}
        self.rejected: dict[str, dict[str, tuple[str, int]]] = {t: {} for t in PARENT_TABLES}
        for table in PARENT_TABLES:
            key = m.Base.metadata.tables[table].c[SPECS[table].key[0]]
            self.known[table] = set(conn.execute(select(key)).scalars())

    def _fk_problem(self, ref: str, value: str) -> str:
        noun = _NOUN[ref]
        if value in self.rejected[ref]:
            file_name, row = self.rejected[ref][value]
            return f"{noun} {value} was rejected ({file_name} row {row})"
        return f"unknown {noun} {value}"

    def load(self, plan: _FilePlan, quarantine: _Quarantine) -> None:
        spec, report = plan.spec, plan.report
        width = len(plan.header)
        pos = {c.name: i for i, c in enumerate(spec.columns)}
        template: list[Any] = [plan.absent.get(c.name) for c in spec.columns]
        # (index in the record, position in the row, name in the file, converter, value when empty or
        # _REQUIRED, ids the value must be one of or None, the parent table)
        fields = []
        for f in plan.fields:
            convert = _iso_date if (f.col.kind == "date" and self.dates_as_text) else f.convert
            empty = _REQUIRED if (f.col.required and f.col.kind != "bool") else f.col.default
            parents = self.known[f.col.ref] if f.col.ref else None
            fields.append((f.index, pos[f.col.name], f.file_column, convert, empty, parents, f.col.ref))
        key = spec.key
        key_pos = [pos[k] for k in key]
        single = key_pos[0] if len(key_pos) == 1 else None
        is_parent = spec.table in PARENT_TABLES
        known = self.known.get(spec.table)
        rejected = self.rejected.get(spec.table)
        seen: set = set()
        upsert_class = _SqliteUpsert if self.dates_as_text else _PostgresUpsert
        upsert = upsert_class(self.conn, spec, [c for c in plan.present if c not in key])
        batch: list[list[Any]] = []
        with report.path.open(encoding=report.encoding, newline="") as fh:
            lines: list[str] = []  # the lines of the record being read, as written (stray quotes)

            def feed():
                for line in fh:
                    lines.append(line)
                    yield line

            reader = csv.reader(feed(), delimiter=report.delimiter)
            next(reader)  # the header, checked in phase 1
            delimiter = report.delimiter
            for row_number, record in _numbered(reader):
                raw = lines[0] if len(lines) == 1 else "".join(lines)
                lines.clear()
                if not (record and record[0].strip()) and not any(cell.strip() for cell in record):
                    continue  # a blank record (empty line, or only delimiters): counted, not read
                report.read += 1
                problems: list[tuple[str, str]] = []
                if '"' in raw or len(raw) > MAX_CELL_CHARS:
                    problems = _record_problems(raw, record, plan.header, delimiter)
                    if problems:
                        quarantine.write(record, row_number, problems)
                        report.quarantined += 1
                        continue
                if len(record) != width:
                    if len(record) > width and not any(c.strip() for c in record[width:]):
                        record = record[:width]
                    else:
                        problems.append(("", f"{len(record)} fields where the header has {width}"))
                        quarantine.write(record, row_number, problems)
                        report.quarantined += 1
                        continue
                row = template.copy()
                for index, at, file_column, convert, empty, parents, ref in fields:
                    raw = record[index].strip()
                    if not raw:
                        if empty is _REQUIRED:
                            problems.append((file_column, "missing required value"))
                        else:
                            row[at] = empty
                        continue
                    try:
                        value = row[at] = convert(raw)
                    except ValueProblem as exc:
                        problems.append((file_column, str(exc)))
                        continue
                    if parents is not None and value not in parents:
                        problems.append((file_column, self._fk_problem(ref, value)))
                row_key = row[single] if single is not None else tuple(row[i] for i in key_pos)
                if not problems:
                    if row_key in seen:
                        shown = row_key if single is not None else " ".join(str(v) for v in row_key)
                        reason = f"duplicate {', '.join(key)} {shown} in this file (the first one is kept)"
                        problems.append((", ".join(key), reason))
                    else:
                        seen.add(row_key)
                if problems:
                    quarantine.write(record, row_number, problems)
                    report.quarantined += 1
                    if is_parent and row_key is not None and row_key not in known:
                        rejected.setdefault(row_key, (report.name, row_number))
                    continue
                if is_parent:
                    known.add(row_key)
                batch.append(row)
                if len(batch) >= CHUNK_ROWS:
                    upsert.add(batch)
                    report.loaded += len(batch)
                    batch = []
        if batch:
            upsert.add(batch)
            report.loaded += len(batch)
        upsert.finish()


# --------------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------------


class _ImportProgress:
    """A line per file read: rows read and quarantined, files and bytes done, time left at the pace so far."""

    def __init__(self, plans: list[_FilePlan], emit: Callable[[str], None]):
        import time

        self.emit = emit
        self.sizes = {p.report.name: p.report.path.stat().st_size for p in plans}
        self.total = sum(self.sizes.values()) or 1
        self.done = 0
        self.files = 0
        self.started = time.perf_counter()

    def file_done(self, plan: _FilePlan) -> None:
        import time

        from arrears.core.progress import count, duration, remaining

        self.done += self.sizes[plan.report.name]
        self.files += 1
        elapsed = time.perf_counter() - self.started
        report = plan.report
        self.emit(f"  read {report.name:<22} {count(report.read):>10} rows ({count(report.quarantined)} to "
                  f"quarantine), file {self.files}/{len(self.sizes)}, {duration(elapsed)} elapsed, "
                  f"{remaining(elapsed, self.done, self.total)}")


def import_dir(engine: Engine, directory: Path | str,
               quarantine_dir: Path | str | None = None,
               progress: Callable[[str], None] | None = None) -> ImportReport:
    """Import the DATA.md CSV files of ``directory`` (absent files are skipped and reported).

    Rejected rows go to ``quarantine_dir`` (default ``<directory>/quarantine``), one CSV per input file.
    Raises ``ImportError_`` when a file cannot be read as a whole or the database refuses the load; then
    nothing is loaded. ``progress`` (e.g. ``print``) gets a line per file read, with the rows and an
    estimate of the time left (by bytes).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportError_([f"{directory}: not a directory"])
    qdir = Path(quarantine_dir) if quarantine_dir is not None else directory / "quarantine"
    if qdir.resolve() == directory.resolve():
        raise ImportError_([f"{qdir}: the quarantine folder must not be the import folder"])
    report = ImportReport(directory=directory, quarantine_dir=qdir)

    found = _find_files(directory)
    plans: list[_FilePlan] = []
    problems: list[str] = []
    for spec in TABLES:
        path = found.get(spec.table)
        if path is None:
            report.missing.append(spec.file_name)
            continue
        try:
            plans.append(_plan_file(spec, path))
        except FileProblem as exc:
            problems.append(f"{spec.file_name}: {exc}")
        except csv.Error as exc:
            problems.append(f"{spec.file_name}: unreadable header ({exc})")
    if problems:
        raise ImportError_(problems)

    quarantines = [_Quarantine(qdir, p.spec.file_name, p.header, p.report.delimiter) for p in plans]
    current = ""
    try:
        with engine.begin() as conn:
            loader = _Loader(conn, qdir)
            ticker = _ImportProgress(plans, progress) if progress else None
            for plan, quarantine in zip(plans, quarantines, strict=True):
                current = plan.spec.file_name
                loader.load(plan, quarantine)
                if ticker:
                    ticker.file_done(plan)
            refresh_statistics(conn, [p.spec.table for p in plans])  # PostgreSQL plans for the new sizes
            if plans:  # when the portfolio was last refreshed (safe starts: arrears.ingest.freshness)
                conn.execute(m.ImportRun.__table__.insert().values(
                    imported_at=datetime.now(UTC).replace(tzinfo=None), files=len(plans),
                    loaded=sum(p.report.loaded for p in plans),
                    quarantined=sum(p.report.quarantined for p in plans)))
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:  # the driver's own: during COPY
        for quarantine in quarantines:
            quarantine.abort()
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise ImportError_([f"{current}: database error ({cause}); the whole import was rolled back"]) from exc
    except csv.Error as exc:
        for quarantine in quarantines:
            quarantine.abort()
        raise ImportError_([f"{current}: unreadable CSV ({exc}); the whole import was rolled back"]) from exc
    except BaseException:
        for quarantine in quarantines:
            quarantine.abort()
        raise

    for plan, quarantine in zip(plans, quarantines, strict=True):
        plan.report.quarantine_path = quarantine.commit()
        report.files[plan.report.name] = plan.report
        log.info("%s: read %d, loaded %d, quarantined %d", plan.report.name, plan.report.read,
                 plan.report.loaded, plan.report.quarantined)
        if plan.report.unknown_columns:
            log.warning("%s: unknown columns ignored: %s", plan.report.name,
                        ", ".join(plan.report.unknown_columns))
    if report.missing:
        log.info("missing files (skipped): %s", ", ".join(report.missing))
    return report
