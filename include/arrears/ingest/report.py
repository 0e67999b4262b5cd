"""The import report: per file, rows read, loaded and quarantined, and the problems found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


@dataclass
class FileReport:
    """What happened to one input file. ``read`` = ``loaded`` + ``quarantined`` (blank records excluded)."""

    name: str
    table: str
    path: Path
    encoding: str = ""
    delimiter: str = ""
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    quarantine_path: Path | None = None


class _Files(dict):
    """``files["ledger.csv"]`` and ``files["ledger"]`` are the same report."""

    def _norm(self, key: str) -> str:
        return key if key.endswith(".csv") else f"{key}.csv"

    def __getitem__(self, key: str) -> FileReport:
        return super().__getitem__(self._norm(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(self._norm(key))

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(self._norm(key), default)


@dataclass
class ImportReport:
    directory: Path
    quarantine_dir: Path
    files: _Files = field(default_factory=_Files)  # by file name, in load order
    missing: list[str] = field(default_factory=list)  # DATA.md files absent from the folder

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files.values())

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files.values())

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files.values())

    @property
    def quarantine_paths(self) -> list[Path]:
        return [f.quarantine_path for f in self.files.values() if f.quarantine_path is not None]

    @property
    def quarantine_files(self) -> dict[str, Path]:
        """The quarantine file of each input file that had rejected rows, by input file name."""
        return {f.name: f.quarantine_path for f in self.files.values() if f.quarantine_path is not None}

    def summary(self) -> str:
        """A text table per file: read, loaded, quarantined; then unknown columns, missing files, quarantine."""
        width = max([len(n) for n in self.files] + [len("total")]) + 2
        lines = [f"{'file':<{width}}{'read':>10}{'loaded':>10}{'quarantined':>13}"]
        for f in self.files.values():
            lines.append(f"{f.name:<{width}}{f.read:>10}{f.loaded:>10}{f.quarantined:>13}")
        lines.append(f"{'total':<{width}}{self.read:>10}{self.loaded:>10}{self.quarantined:>13}")
        for f in self.files.values():
            if f.unknown_columns:
                lines.append(f"{f.name}: unknown columns ignored: {', '.join(f.unknown_columns)}")
        if self.missing:
            lines.append(f"missing files (skipped): {', '.join(self.missing)}")
        for f in self.files.values():
            if f.quarantine_path is not None:
                lines.append(f"{f.name}: {f.quarantined} rejected rows in {f.quarantine_path}")
        return "\n".join(lines)
