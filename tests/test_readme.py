"""The README followed by a newcomer, on a fresh copy of the project: its commands, in its order, through ``./dev``.

The commands are read from the README itself (the "Two commands" block, then the commands table), so a command
added there is run here too; placeholders get small values (``--leases 40``, the demo's CSV folder for
``import DIR``). Before the demo, a command on the fresh copy's empty database says what to do; after it, every
command works on the demo's data, with no traceback and nothing that reads like an error.

Slow (the demo month through Airflow, a few minutes): ``pytest -m "not slow"`` skips it locally; CI runs it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LEASES = 60

pytestmark = pytest.mark.slow


def readme_commands(text: str) -> list[str]:
    """The ``./dev`` commands of the README, in order: the set-up block, then the commands table."""
    section = text.split("## Two commands", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip().startswith("./dev")]
    for line in section.splitlines():
        match = re.match(r"\|\s*`(\./dev [^`]+)`\s*\|", line)
        if match:
            commands.append(match.group(1).replace("\\|", "|"))
    return commands


def runnable(command: str, csv_dir: str, new_csv_dir: str) -> str | None:
    """The command with its placeholders filled in; None for those a test cannot run (a server, the tests)."""
    if command in ("./dev test", "./dev ui"):
        return None
    command = re.sub(r"\s*\[[^\]]*\]", "", command)          # optional parts: [--dry-run], [--reject]
    command = re.sub(r"\(--all \| LEASE…\)", "--all", command)
    if command == "./dev demo":
        command += f" --leases {LEASES}"
    command = command.replace("--leases N", "--leases 30").replace("--out DIR", f"--out {new_csv_dir}")
    command = command.replace("import DIR", f"import {csv_dir}")
    assert not re.search(r"\b[A-Z]{2,}\b|…", command), f"README placeholder the test does not fill: {command}"
    return command


def fresh_copy(dest: Path) -> Path:
    """The project's files as a clone has them (tracked and new files, nothing ignored: no .venv, var/, output/)."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def newcomer_env() -> dict[str, str]:
    """The environment of a shell on the machine, without what the test session points elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ARREARS_", "AIRFLOW", "PYTEST", "VIRTUAL_ENV", "UV_PROJECT"))}
    if not shutil.which("uv", path=env.get("PATH")):
        for tools in (ROOT / ".tools" / "uv" / "bin", ROOT / ".tools" / "uv-target" / "bin"):
            if (tools / "uv").exists():  # this checkout's bootstrapped uv (else ./dev bootstraps one)
                env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
                break
    return env


def dev(clone: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=1800, check=False)
    both = result.stdout + result.stderr
    assert "Traceback" not in both, f"{command}:\n{both[-4000:]}"
    assert not re.search(r"\[(error|warning)\s*\]|^ERROR|^WARNING", both, re.MULTILINE), f"{command}:\n{both[-4000:]}"
    return result


def test_readme_commands_fill_every_placeholder():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert commands[0] == "./dev demo" and "./dev cohort 3 --as-of 2025-09-05" in commands
    filled = [runnable(c, "var/demo-csv", "var/new-csv") for c in commands]
    assert "./dev approve 6 --as-of 2025-09-01 --all" in filled
    assert "./dev run 3 --as-of 2025-09-05" in filled


def test_readme_commands_in_order_on_a_fresh_clone(tmp_path):
    clone = fresh_copy(tmp_path / "clone")
    env = newcomer_env()
    commands = readme_commands(README.read_text(encoding="utf-8"))

    # Before any data: one line saying what to do, no traceback, a failing exit code.
    empty = dev(clone, "./dev cohort 3 --as-of 2025-09-05", env)
    assert empty.returncode == 1
    assert "no data: run `./dev demo` or `./dev import DIR`" in empty.stderr
    assert empty.stdout == ""

    seen = {}
    for command in commands:
        filled = runnable(command, "var/demo-csv", "var/new-csv")
        if filled is None:
            continue
        result = dev(clone, filled, env)
        assert result.returncode == 0, f"{filled}:\n{(result.stdout + result.stderr)[-4000:]}"
        seen[filled.split()[1]] = result

    demo = seen["demo"].stdout
    assert "0 failures" in demo
    assert "  ./dev cohort 3 --as-of 2025-09-05" in demo.splitlines()[-3:]
    assert f"the demo's data is in {clone / 'var' / 'arrears.db'}" in demo
    assert "run 27/27" in seen["demo"].stderr and "rendered chunk" in seen["demo"].stderr

    positions = list(csv.DictReader(io.StringIO(seen["positions"].stdout)))
    assert len(positions) == LEASES
    cohort = list(csv.DictReader(io.StringIO(seen["cohort"].stdout)))
    assert cohort and next(iter(cohort[0])) == "lease_id"
    decisions = [json.loads(line) for line in seen["decide"].stdout.splitlines()]
    assert {d["lease_id"] for d in decisions} == {row["lease_id"] for row in cohort}
    assert "read leases.csv" in seen["import"].stderr
    assert (clone / "var" / "new-csv" / "leases.csv").exists()
    assert "run success" in seen["run"].stdout
    assert "rendered chunk" in seen["run"].stderr or "new this run 0" in seen["run"].stdout
    paths = [Path(p) for p in seen["report"].stdout.split()]
    assert [p.suffix for p in paths] == [".html", ".pdf", ".csv", ".xlsx"] and all(p.exists() for p in paths)

    # The database the commands read is the demo's: re-running the demo rebuilds it, but an import made it the
    # user's data, which the demo must not replace.
    again = dev(clone, f"./dev demo --leases {LEASES} --seed-only", env)
    assert again.returncode == 1 and "will not replace it" in again.stderr
