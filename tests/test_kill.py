"""A 300,000-row ``score --jobs 2`` killed with SIGINT, SIGTERM, SIGHUP and SIGKILL (issue #14).

Each kill must leave the previous OUTPUT byte for byte as it was and no worker process alive;
SIGINT/SIGTERM/SIGHUP remove the partial file at once, and after SIGKILL (which no process can
catch) the next run into the same OUTPUT removes it and says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes")

ROWS = 300_000
TEXTS = ["第三次打电话了！再不处理我就去12315投诉", "请问门店几点开门", "快递三天没动，客服电话一直打不通", "車子剎車失靈，差點出事"]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("kill") / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("id,text\r\n")
        f.writelines(f"{i},{TEXTS[i % len(TEXTS)]}\r\n" for i in range(ROWS))
    return path


def _children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.add(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.partial-*"))


def _dispositions(ignored: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    """A ``preexec_fn`` that starts the run with the stop signals at their defaults (pytest may
    itself run with SIGINT or SIGHUP ignored: a background job, ``nohup``) except ``ignored``."""

    def preexec() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN if sig in ignored else signal.SIG_DFL)

    return preexec


def _start(src: Path, out: Path, ignored: tuple[int, ...] = ()) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "complaint_nlp", "score", str(src), "-o", str(out), "--text-col", "text", "--id-col", "id", "--no-model", "--no-progress", "--jobs", "2", "--chunksize", "5000"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_dispositions(ignored))


def _wait_writing(proc: subprocess.Popen, folder: Path) -> set[int]:
    """Wait until the run is really writing (a partial file with rows in it, workers up); its workers."""
    workers: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline:
        workers |= _children(proc.pid)
        parts = _partials(folder)
        if parts and parts[0].stat().st_size > 100_000 and len(workers) >= 2:
            return workers | _children(proc.pid)
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    pytest.fail("the run never started writing")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: signal.Signals(s).name)
def test_killed_run_leaves_previous_output_and_no_worker(tmp_path, big_csv, sig):
    out = tmp_path / "scored.csv"
    previous = "id,text,level\r\n1,上一次的结果,minor\r\n".encode("utf-8")
    out.write_bytes(previous)
    proc = _start(big_csv, out)
    workers: set[int] = set()
    try:
        workers = _wait_writing(proc, tmp_path)
        os.kill(proc.pid, sig)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode()
    # the previous OUTPUT is untouched
    assert out.read_bytes() == previous
    # no worker outlives the run (after SIGKILL they notice within about a second)
    gone_by = time.time() + 10
    while time.time() < gone_by and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert workers and not any(_alive(w) for w in workers)
    if sig == signal.SIGKILL:
        assert rc == -signal.SIGKILL
        stale = _partials(tmp_path)
        assert len(stale) == 1  # nobody could remove it ...
        small = tmp_path / "small.csv"
        small.write_text("id,text\n1,我要投诉\n2,好的\n", encoding="utf-8")
        p = subprocess.run([sys.executable, "-m", "complaint_nlp", "score", str(small), "-o", str(out), "--text-col", "text", "--no-model", "--no-progress"], capture_output=True, timeout=120)
        assert p.returncode == 0
        warnings = [line for line in p.stderr.decode().splitlines() if line.startswith("complaint-nlp: warning:")]
        assert len(warnings) == 1 and str(stale[0].name) in warnings[0]
        assert not _partials(tmp_path)  # ... until the next run
        assert out.read_bytes().count(b"\r\n") == 3  # header + 2 rows
    else:
        assert rc == 128 + sig
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines == [f"complaint-nlp: interrupted by {signal.Signals(sig).name}; no output was written, an existing one is untouched"]
        assert not _partials(tmp_path)


def test_a_signal_ignored_at_start_stays_ignored(tmp_path, big_csv):
    """``nohup complaint-nlp score …`` survives the terminal's SIGHUP (run and workers go on);
    SIGTERM still stops it cleanly."""
    out = tmp_path / "scored.csv"
    proc = _start(big_csv, out, ignored=(signal.SIGHUP,))
    try:
        workers = _wait_writing(proc, tmp_path)
        os.kill(proc.pid, signal.SIGHUP)
        for w in workers:
            os.kill(w, signal.SIGHUP)  # a hangup reaches the whole process group
        time.sleep(1.0)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert all(_alive(w) for w in workers)
        os.kill(proc.pid, signal.SIGTERM)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 128 + signal.SIGTERM
    assert proc.stderr.read().decode().strip() == "complaint-nlp: interrupted by SIGTERM; no output was written, an existing one is untouched"
    assert not out.exists() and not _partials(tmp_path)
