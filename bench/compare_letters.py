"""Do the letters still look the same? Render every letter type with two versions of the code, turn each page
into a PNG (``pdftoppm -r 60``) and compare them pixel by pixel.

    uv run python bench/compare_letters.py                    # before = git ref main, after = this checkout
    uv run python bench/compare_letters.py --before HEAD~3    # any git ref (exported with git archive)
    uv run python bench/compare_letters.py --letters 55       # 5 letters per type (every debtor profile)
    uv run python bench/compare_letters.py --keep out/cmp     # keep the PNGs and the diff images there

Each version renders the same synthetic leases (``bench_render.build_portfolio``: one letter type per lease in
turn, profiles P0-P4) through the production path (``render_letters``, one process: registered numbers and
appointment slots are then given in the same order on both sides) in its own process,
with ``ARREARS_HOME`` and ``PYTHONPATH`` pointing at that version's files. Prints, per letter and page, the number
of pixels that differ and the box that holds them; a page count that differs is reported as such. Exit status 1
when any page differs (0 = the same letters).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def export_tree(ref: str, dest: Path) -> Path:
    """The files a letter is made of (code, templates, landlord.toml) at git ``ref``, in ``dest``."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "include", "templates"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def render_version(tree: Path, out: Path, letters: int) -> dict:
    """Render ``letters`` letters with the code in ``tree`` (a fresh process) into ``out``; PNG per page."""
    work = Path(tempfile.mkdtemp(prefix="cmp-render-"))
    env = {**os.environ, "ARREARS_HOME": str(tree), "PYTHONPATH": str(tree / "include"),
           "ARREARS_VAR_DIR": str(work / "var"), "ARREARS_OUTPUT_DIR": str(work / "output")}
    try:
        proc = subprocess.run([sys.executable, __file__, "--render-into", str(out), "--letters", str(letters),
                               "--work", str(work)], env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if proc.returncode:
        raise SystemExit(f"rendering with {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _render_into(out: Path, letters: int, work: Path) -> None:
    """(child) Build the portfolio, render it the production way, write ``<nn>-<type>-<page>.png``."""
    sys.path.insert(0, str(HERE))
    from arrears.documents.letters import render_letters
    from bench_render import build_portfolio, decisions

    url = f"sqlite:///{work / 'cmp.db'}"
    build_portfolio(url, letters)
    # one process: with two, the order in which the processes take registered numbers and appointment slots
    # varies from run to run, and a letter's number or slot with it
    result = render_letters(url, decisions(letters), work / "letters-out")
    if result.failures:
        raise SystemExit(f"letters failed: {result.failures}")
    out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for r in sorted(result.rendered, key=lambda r: r.lease_id):
        stem = f"{r.lease_id}-{r.letter_type}"
        subprocess.run(["pdftoppm", "-r", "60", "-png", r.path, str(out / stem)], check=True)
        pages[stem] = r.pages
    print(json.dumps(pages))


def compare(before: Path, after: Path, pages_before: dict, pages_after: dict, diff_dir: Path | None) -> int:
    from PIL import Image, ImageChops

    differing = 0
    print(f"{'letter':<34} {'page':>4} {'pixels differing':>17}  box (x0, y0, x1, y1) at 60 dpi")
    for stem in sorted(set(pages_before) | set(pages_after)):
        if pages_before.get(stem) != pages_after.get(stem):
            differing += 1
            print(f"{stem:<34}  page count {pages_before.get(stem)} -> {pages_after.get(stem)}")
            continue
        for png in sorted(before.glob(f"{stem}-*.png")):
            page = png.stem.rsplit("-", 1)[1]
            a = Image.open(png).convert("RGB")
            b = Image.open(after / png.name).convert("RGB")
            if a.size != b.size:
                differing += 1
                print(f"{stem:<34} {page:>4}  size {a.size} -> {b.size}")
                continue
            diff = ImageChops.difference(a, b)
            box = diff.getbbox()
            count = a.size[0] * a.size[1] - diff.convert("L").histogram()[0]
            if count:
                differing += 1
                if diff_dir:
                    diff_dir.mkdir(parents=True, exist_ok=True)
                    mask = diff.convert("L").point(lambda v: 255 if v else 0)
                    marked = Image.composite(Image.new("RGB", a.size, (230, 0, 0)), b, mask)
                    Image.blend(a, marked, 0.7).save(diff_dir / f"diff-{png.name}")
            print(f"{stem:<34} {page:>4} {count:>17}  {box or '-'}")
    total = sum(pages_before.values())
    print(f"\n{len(pages_before)} letters, {total} pages before, {sum(pages_after.values())} after; "
          f"{differing} page(s) differ" + (f" (diff images in {diff_dir})" if diff_dir and differing else ""))
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the reference letters (default main)")
    parser.add_argument("--after", default=None, help="git ref to compare (default: this checkout's files)")
    parser.add_argument("--letters", type=int, default=11, help="letters per version (11 = one per type)")
    parser.add_argument("--keep", type=Path, help="keep the PNGs and diff images in this folder")
    parser.add_argument("--render-into", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_into:
        _render_into(args.render_into, args.letters, args.work)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="compare-letters-"))
    os.chmod(tmp, 0o700)
    keep = args.keep
    try:
        trees = {"before": export_tree(args.before, tmp / "tree-before")}
        trees["after"] = export_tree(args.after, tmp / "tree-after") if args.after else ROOT
        base = keep or tmp
        pages = {v: render_version(trees[v], base / f"png-{v}", args.letters) for v in ("before", "after")}
        print(f"before: {args.before}; after: {args.after or 'this checkout'}")
        return compare(base / "png-before", base / "png-after", pages["before"], pages["after"],
                       (keep / "diff") if keep else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
