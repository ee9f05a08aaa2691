"""Every `complaint-nlp` command in README's code blocks runs as written (issue #17).

The commands are read from README itself. Optional parts (`[...]`) are left out, placeholders get
sample values, and the files the commands name (data.csv, messages.txt, export.csv, my_export.csv…)
are made in a scratch folder from our own sample export and corpus. `serve`, `--engine spark` and
`curl` lines are exercised by tests/test_serve.py and tests/test_spark.py against a real server and
Spark; here they are only checked to parse.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDERS = {"INPUT": "export.csv", "OUTPUT": "scored_out.csv", "COL": "内容", "H": "127.0.0.1", "P": "8000", "N": "1", "URL": "local[1]"}


def readme_commands() -> list[str]:
    out, inside = [], False
    for line in README.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside and ("complaint-nlp " in line) and not line.lstrip().startswith(("python3 -m venv", "#")):
            out.append(line.split("  #")[0].strip())
    return out


COMMANDS = readme_commands()


def _concrete(cmd: str) -> list[str]:
    cmd = re.sub(r"\s*\[[^\]]*\]", "", cmd)  # optional parts out
    if "--version | --help" in cmd:
        return ["complaint-nlp --version", "complaint-nlp --help"]
    return [" ".join(PLACEHOLDERS.get(tok, tok) for tok in cmd.split(" "))]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    shutil.copy(ROOT / "data" / "samples" / "messages_gbk.csv", d / "export.csv")
    (d / "messages.txt").write_text("再不退款我就打12315投诉！\n\n请问几点开门\n", encoding="utf-8")
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "train"][::40]
    with open(d / "data.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "category", "emotion", "split"])
        w.writerows([[r["text"], r["category"], r["emotion"], "test" if i % 5 == 0 else "train"] for i, r in enumerate(rows)])
    for name in ("my_export.csv", "my_test.csv"):
        with open(d / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["内容", "类别", "情绪"])
            w.writerows([[r["text"], r["category"], r["emotion"]] for r in rows])
    shutil.copy(ROOT / "data" / "samples" / "messages_gbk.csv", d / "new.csv")
    return d


def test_readme_has_the_commands():
    assert len(COMMANDS) >= 10 and any(c.startswith("complaint-nlp train") for c in COMMANDS)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_readme_command_runs(cmd, scratch):
    exe = str(Path(sys.executable).parent / "complaint-nlp")
    for line in _concrete(cmd):
        if " serve" in line or "--engine spark" in line:
            parts = line.replace("complaint-nlp", "", 1).split()
            from complaint_nlp.cli import build_parser

            build_parser().parse_args(parts)  # a valid command line; run elsewhere for real
            continue
        shell = line.replace("complaint-nlp", f'"{exe}"')
        p = subprocess.run(shell, shell=True, cwd=scratch, capture_output=True, timeout=900, executable="/bin/bash")
        assert p.returncode == 0, (line, p.stderr.decode()[-2000:])


def test_readme_points_at_nothing_outside_the_repository():
    """A user's checkout has no ../shared: README must not send them there."""
    assert "../" not in README
    for link in re.findall(r"\]\(([^)#]+)\)", README):
        if not link.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / link).exists(), link


def test_cli_help_examples_name_real_files():
    from complaint_nlp.cli import EPILOG

    for path in re.findall(r"(data/\S+\.\w+)", EPILOG):
        assert (ROOT / path).exists(), path
