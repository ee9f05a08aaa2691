"""``complaint-nlp report``: the HTML page, rendered in headless Chromium.

The sample export and a 200,000-row scored file are turned into pages; Chromium loads each with
every network request failing, dumps the DOM and takes screenshots (laptop and phone width). The
figures on the page are read back from their ``data-`` attributes and compared with counts computed
here, independently, from the scored file with pandas.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from complaint_nlp.report import ACT_NOW, write_report

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "samples" / "messages_gbk.csv"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="headless Chromium not installed (.ci/run installs it)")

_OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def _browser(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "headless Chromium is required here (.ci/run installs it)"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-dev-shm-usage", "--no-first-run", *_OFFLINE, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def dump_dom(page: Path) -> str:
    p = _browser("--dump-dom", page.as_uri())
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    p = _browser(f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri())
    assert p.returncode == 0, p.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (w, h) == (width, height)
    assert len(data) > 20_000  # a drawn page, not a blank one


def figures(dom: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-key="([a-z_]+)" data-value="(\d+)"', dom)}


def bars(dom: str, chart: str) -> dict[str, int]:
    m = re.search(rf'<svg id="{chart}"(.*?)</svg>', dom, re.S)
    assert m, chart
    return {k: int(v) for k, v in re.findall(r'<g class="bar" data-code="([^"]+)" data-count="(\d+)"', m.group(1))}


def expected(df) -> dict:
    """The figures, computed here from the scored file (not with the report's code)."""

    def lst(v):
        if isinstance(v, str):
            return json.loads(v) if v.strip().startswith("[") else []
        return list(v) if v is not None and not (isinstance(v, float)) else []

    sigs = df["signals"].map(lst)
    live = sigs.map(lambda ss: [s for s in ss if s["modality"] in ("threatened", "done")])
    threat = live.map(lambda ss: {s["code"] for s in ss} & {"regulator", "media", "legal"})
    err = df["error"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    pro = df["professional_complainant"].map(lambda v: v is True or str(v).lower() == "true")
    dem = df["demands"].map(lst).map(lambda ds: {d["kind"] for d in ds if d["modality"] in ("demanded", "threatened")})
    return {
        "rows": len(df),
        "urgent": int((df["level"] == "urgent").sum()),
        "serious": int((df["level"] == "serious").sum()),
        "threats": int(threat.map(bool).sum()),
        "regulator": int(threat.map(lambda s: "regulator" in s).sum()),
        "media": int(threat.map(lambda s: "media" in s).sum()),
        "legal": int(threat.map(lambda s: "legal" in s).sum()),
        "professional": int(pro.sum()),
        "errors": int(err.sum()),
        "levels": dict(Counter(df["level"].dropna())),
        "categories": dict(Counter(df["category"].dropna())),
        "emotions": dict(Counter(df["emotion"].dropna())),
        "customer_types": dict(Counter(df["customer_type"].dropna())),
        "demands": dict(Counter(k for ks in dem for k in ks)),
    }


def check_page(dom: str, exp: dict, *, time_chart: bool, by: list[str], customers: bool) -> None:
    for section in ("headline", "chart-level", "chart-category", "chart-emotion", "act-now", "evidence", "chart-signals", "demands", "big-amounts", "chart-demands", "chart-customer-types", "chart-scenarios"):
        assert f'id="{section}"' in dom, section
    assert ('id="chart-time"' in dom) == time_chart
    assert ('id="repeat-customers"' in dom) == customers
    for b in by:
        assert f'id="by-{b}"' in dom
    got = figures(dom)
    for key in ("rows", "urgent", "serious", "threats", "regulator", "media", "legal", "professional", "errors"):
        assert got[key] == exp[key], key
    assert bars(dom, "chart-level") == exp["levels"]
    assert bars(dom, "chart-category") == exp["categories"]
    assert bars(dom, "chart-emotion") == exp["emotions"]
    assert bars(dom, "chart-customer-types") == exp["customer_types"]
    assert bars(dom, "chart-demands") == exp["demands"]
    acts = re.findall(r'<tr class="act" data-level="(\w+)"', dom)
    assert len(acts) == min(ACT_NOW, exp["urgent"] + exp["serious"])
    assert acts == sorted(acts, key=lambda lv: lv != "urgent")  # urgent first
    assert "<mark" in dom  # evidence highlighted


def test_page_is_self_contained(tmp_path):
    import pandas as pd  # noqa: F401

    from complaint_nlp.batch import score_file

    scored = tmp_path / "scored.csv"
    score_file(SAMPLE, scored, text_col="内容", id_col="工单号", customer_col="客户ID")
    page = tmp_path / "r.html"
    write_report(scored, page, text_col="内容", time_col="创建时间", by=["渠道"], customer_col="客户ID", id_col="工单号")
    html = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r'(?:src|href)\s*=\s*"(?:https?:)?//', html)  # nothing to fetch
    assert "<script" not in html


@needs_chromium
def test_sample_report_in_chromium(tmp_path):
    import pandas as pd

    from complaint_nlp.cli import main

    scored = tmp_path / "scored.csv"
    page = tmp_path / "report.html"
    assert main(["-q", "score", str(SAMPLE), "-o", str(scored), "--text-col", "内容", "--id-col", "工单号", "--customer-col", "客户ID", "--report", str(page), "--time-col", "创建时间", "--by", "渠道"]) == 0
    df = pd.read_csv(scored, encoding="utf-8-sig", dtype=str, keep_default_na=False).replace({"": None})
    dom = dump_dom(page)
    check_page(dom, expected(df), time_chart=True, by=["渠道"], customers=True)
    # the repeat customers match a count made here
    counts = Counter(df["客户ID"].dropna())
    want = {c: n for c, n in counts.items() if n >= 2}
    got = {c: int(n) for c, n in re.findall(r'<tr data-customer="([^"]+)" data-count="(\d+)"', dom)}
    assert got == dict(Counter(want).most_common(20))
    table = re.search(r'<table id="by-渠道".*?</table>', dom, re.S).group(0)
    by = {v: int(n) for v, n in re.findall(r'<tr data-value="([^"]+)" data-count="(\d+)"', table)}
    assert by == dict(Counter(df["渠道"]))
    # the time chart has one bucket per day and adds up to the rows with a date
    days = {k: int(n) for k, n in re.findall(r'<g class="bucket" data-key="([^"]+)" data-count="(\d+)"', dom)}
    assert sum(days.values()) == pd.to_datetime(df["创建时间"], errors="coerce").notna().sum()
    screenshot(page, tmp_path / "laptop.png", 1280, 2000)
    screenshot(page, tmp_path / "phone.png", 390, 2400)
    # standalone command, same page (but the build time)
    page2 = tmp_path / "again.html"
    assert main(["-q", "report", str(scored), "-o", str(page2), "--text-col", "内容", "--time-col", "创建时间", "--by", "渠道", "--customer-col", "客户ID", "--id-col", "工单号"]) == 0
    strip = lambda s: re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", s)  # noqa: E731
    assert strip(page2.read_text(encoding="utf-8")) == strip(page.read_text(encoding="utf-8"))


def _big_scored(tmp_path: Path, rows: int) -> Path:
    """A 200,000-row scored Parquet file: the sample export scored once, its rows repeated with
    new ids, customers, channels and dates spread over a year (so the chart is weekly)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from complaint_nlp.batch import score_file

    small = tmp_path / "small.parquet"
    score_file(SAMPLE, small, text_col="内容", id_col="工单号")
    t = pq.read_table(small)
    reps = -(-rows // t.num_rows)
    big = pa.concat_tables([t] * reps).slice(0, rows)
    n = big.num_rows
    big = big.set_column(big.schema.get_field_index("工单号"), "工单号", pa.array([f"T{i:07d}" for i in range(n)]))
    big = big.set_column(big.schema.get_field_index("客户ID"), "客户ID", pa.array([f"C{(i * 7919) % 40000:05d}" for i in range(n)]))
    big = big.set_column(big.schema.get_field_index("渠道"), "渠道", pa.array([["电话", "APP", "微博", "邮件", "门店"][i % 5] + (f"-{i % 1300}" if i % 3 == 0 else "") for i in range(n)]))
    days = pd.Timestamp("2026-01-01") + pd.to_timedelta([i % 365 for i in range(n)], unit="D")
    big = big.set_column(big.schema.get_field_index("创建时间"), "创建时间", pa.array(days.strftime("%Y-%m-%d 10:00")))
    out = tmp_path / "big.parquet"
    pq.write_table(big, out)
    return out


@needs_chromium
def test_200k_row_report_is_bounded(tmp_path):
    import pandas as pd

    scored = _big_scored(tmp_path, 200_000)
    page = tmp_path / "big.html"
    summary = write_report(scored, page, text_col="内容", time_col="创建时间", by=["渠道"], customer_col="客户ID", id_col="工单号")
    assert summary["rows"] == 200_000
    assert page.stat().st_size < 1_500_000  # bounded: aggregates and at most 200 sample rows
    df = pd.read_parquet(scored)
    dom = dump_dom(page)
    check_page(dom, expected(df), time_chart=True, by=["渠道"], customers=True)
    assert 'data-unit="week"' in dom
    by_rows = re.findall(r'<tr data-value="([^"]+)" data-count="(\d+)"', re.findall(r'<table id="by-渠道".*?</table>', dom, re.S)[0])
    assert len(by_rows) == 21 and sum(int(n) for _, n in by_rows) == 200_000  # top 20 and the rest in one bucket
    screenshot(page, tmp_path / "big.png", 1280, 2400)


def test_report_errors_are_one_line(tmp_path, capsys):
    from complaint_nlp.cli import main

    plain = tmp_path / "plain.csv"
    plain.write_text("id,text\n1,你好\n", encoding="utf-8")
    assert main(["report", str(plain), "-o", str(tmp_path / "r.html")]) == 1
    assert "not a scored file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["report", str(plain), "-o", str(tmp_path / "r.txt")])
    assert exc.value.code == 2
    assert not (tmp_path / "r.html").exists()


def test_a_report_of_chinese_labels_equals_the_one_of_codes(tmp_path):
    from complaint_nlp.batch import score_file

    pages = []
    for labels in ("code", "zh"):
        scored = tmp_path / f"{labels}.csv"
        score_file(SAMPLE, scored, text_col="内容", id_col="工单号", labels=labels)
        page = tmp_path / f"{labels}.html"
        write_report(scored, page, text_col="内容", by=["渠道"])
        html = page.read_text(encoding="utf-8")
        pages.append((figures(html), bars(html, "chart-level"), bars(html, "chart-category"), bars(html, "chart-customer-types")))
    assert pages[0] == pages[1] and pages[0][0]["rows"] == 30


def test_every_scored_format_gives_the_same_page(tmp_path):
    from complaint_nlp.batch import score_file

    got = []
    for ext in ("csv", "jsonl", "parquet", "xlsx"):
        scored = tmp_path / f"scored.{ext}"
        score_file(SAMPLE, scored, text_col="内容", id_col="工单号")
        page = tmp_path / f"{ext}.html"
        write_report(scored, page, text_col="内容", by=["渠道"], id_col="工单号")
        html = page.read_text(encoding="utf-8")
        acts = re.findall(r'<tr class="act" data-level="(\w+)" data-id="([^"]+)"', html)
        got.append((figures(html), bars(html, "chart-level"), bars(html, "chart-demands"), bars(html, "chart-signals"), acts))
    assert all(g == got[0] for g in got[1:])
    assert got[0][0]["rows"] == 30 and got[0][4]


def test_awkward_rows_keep_their_count_and_the_page_stays_small(tmp_path):
    """Blank, numeric, HTML, full-width, 1 MB and malformed records: every one is a row of the
    report, and a 1 MB cell used as id or --by value does not make a 1 MB page."""
    from complaint_nlp.batch import score_file

    src = tmp_path / "in.csv"
    big = "退" * 1_000_000
    with open(src, "w", encoding="gbk", newline="") as f:
        f.write("id,text,channel\r\n")
        for i, t in enumerate(["再不退款我就打１２３１５", "", "   ", "12345", "<b>退款</b> 要求賠償5000元", big, "正常咨询"]):
            f.write(f"{i},{t},{big if i == 3 else 'app'}\r\n")
        f.write('7,"未闭合的引号,多,余\r\n8,a,b,c,d\r\n9,最后一行,app\r\n')
    scored = tmp_path / "scored.jsonl"
    score_file(src, scored, text_col="text", id_col="id")
    page = tmp_path / "r.html"
    summary = write_report(scored, page, text_col="text", id_col="id", by=["channel", "text"], customer_col="channel")
    html = page.read_text(encoding="utf-8")
    assert summary["rows"] == figures(html)["rows"] == 10
    assert figures(html)["errors"] >= 3  # empty, blank and the malformed records
    assert page.stat().st_size < 200_000
