"""`complaint-nlp serve` under load (issue #16): a real HTTP load generator on loopback.

Usage: python bench/bench_serve.py [--seconds 60] [--rate 200] [--burst-seconds 4] [--pairs 9] [--json OUT]

1. Open loop: single texts (corpus messages) at a fixed RATE for SECONDS, each request sent on its
   schedule whatever the others are doing; latency from send to full response; p50/p99 and errors.
2. Closed loop, 64 connections sending single texts back to back for BURST seconds: the most
   req/s one worker sustains, with micro-batching on and off. Each burst is followed at once by
   the same texts through `analyze_many` in this process, for the ratio the issue asks for; PAIRS
   such rounds, and the median round is reported (the shared VM's speed drifts within minutes).
3. `analyze_many` in batches of the sizes micro-batching forms (1 to 64 texts).
4. The floor under any service on this stack: a bare ASGI app on the same uvicorn (httptools, uvloop)
   that reads the body and answers a fixed JSON body of a result row's size, under the same closed loop.
5. A stripped service: raw ASGI, the service's micro-batching scorer scoring on the event loop's
   thread, the published row as JSON (the service's encoder), and nothing else (no routing, checks,
   metrics, logs or timeouts): what any service answering the row could reach on one worker.

The client is a few lines of asyncio over raw HTTP/1.1 keep-alive connections (cheaper per request
than any client library, so on a 2-core machine it leaves the server as much CPU as it can).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.r, self.w = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Conn":
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.w.write(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.r.readexactly(length)

    async def get(self, path: str) -> int:
        self.w.write(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        length = next((int(x.split(b":", 1)[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length:")), 0)
        await self.r.readexactly(length)
        return int(head.split(b" ", 2)[1])


BARE_BODY = json.dumps({"row": "测" * 560}, ensure_ascii=False).encode()  # about a result row's size


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI service does per request: read the body, send a fixed JSON answer."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BARE_BODY))]})
    await send({"type": "http.response.body", "body": BARE_BODY})


def stripped_app() -> Any:
    """The least a service that answers the published row can do: raw ASGI (no routing,
    checks, metrics, logs or timeouts), the service's own micro-batching scorer, scoring on the
    event loop's thread (no hand-off to a scoring thread), then the row and its JSON."""
    import concurrent.futures as cf

    sys.path.insert(0, str(ROOT))
    from complaint_nlp.serve import ServeConfig, _json, _Metrics, _Scorer, _row

    class Inline(cf.Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> "cf.Future[Any]":
            f: cf.Future[Any] = cf.Future()
            f.set_result(fn(*args, **kwargs))
            return f

    scorer = _Scorer(ServeConfig(), _Metrics())
    scorer._pool = Inline()  # type: ignore[assignment]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                m = await receive()
                if m["type"] == "lifespan.startup":
                    await scorer.start()
                    await send({"type": "lifespan.startup.complete"})
                elif m["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            m = await receive()
            body, more = body + m.get("body", b""), m.get("more_body", False)
        out = b"{}"
        if scope["path"] == "/v1/analyze":
            scorer.pending_requests += 1
            try:
                row = _row(await scorer.one(json.loads(body)["text"]))
            finally:
                scorer.pending_requests -= 1
            out = _json({"ticket_id": None, "customer_id": None, **row})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(out))]})
        await send({"type": "http.response.body", "body": out})

    return app


def start(*args: str, bare: bool = False, stripped: bool = False) -> tuple[subprocess.Popen, int]:
    port = _port()
    if bare or stripped:
        cmd = [sys.executable, __file__, "--stripped-server" if stripped else "--bare-server", str(port)]
    else:
        cmd = [sys.executable, "-m", "complaint_nlp", "serve", "--port", str(port), "--log-level", "warning", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def ready() -> None:
        for _ in range(1200):
            try:
                c = await Conn.open(port)
                if bare or await c.get("/readyz") == 200:  # the stripped server listens once warm (after its lifespan start-up)
                    c.w.close()
                    return
                c.w.close()
            except OSError:
                pass
            await asyncio.sleep(0.05)
        raise RuntimeError("server never became ready")

    asyncio.run(ready())
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scrape(port: int) -> dict[str, float]:
    """The service's own counters from /metrics: texts scored, scoring calls, seconds scoring."""
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    want = ("complaint_nlp_batch_size_sum", "complaint_nlp_batch_size_count", "complaint_nlp_scoring_seconds_sum")
    return {k: float(v) for k, v in (line.split(" ", 1) for line in text.splitlines() if line.startswith(want))}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


async def open_loop(port: int, bodies: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    idle: list[Conn] = [await Conn.open(port) for _ in range(32)]

    async def one(body: bytes) -> None:
        nonlocal errors
        c = idle.pop() if idle else await Conn.open(port)
        t = time.perf_counter()
        try:
            try:
                status, _ = await c.post("/v1/analyze", body)
            except (asyncio.IncompleteReadError, ConnectionError):  # a keep-alive connection the
                c = await Conn.open(port)  # server closed while idle: reconnect once, as clients do
                t = time.perf_counter()
                status, _ = await c.post("/v1/analyze", body)
        except Exception as exc:
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            return
        lat.append(time.perf_counter() - t)
        if status != 200:
            errors += 1
            kinds[str(status)] = kinds.get(str(status), 0) + 1
        idle.append(c)

    tasks = []
    t0 = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(bodies[i % len(bodies)])))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    return {"requests": n, "achieved_rate": round(n / wall, 1), "errors": errors, "error_kinds": kinds, "p50_ms": round(pct(lat, 0.5) * 1000, 2), "p99_ms": round(pct(lat, 0.99) * 1000, 2), "max_ms": round(max(lat) * 1000, 2) if lat else None}


async def closed_loop(port: int, bodies: list[bytes], conns: int, seconds: float) -> dict[str, Any]:
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal done, errors
        c = await Conn.open(port)
        i = k
        while time.perf_counter() < stop_at:
            status, _ = await c.post("/v1/analyze", bodies[i % len(bodies)])
            done += 1
            errors += status != 200
            i += conns

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(conns)))
    wall = time.perf_counter() - t0
    return {"connections": conns, "requests": done, "errors": errors, "req_per_s": round(done / wall, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--burst-seconds", type=float, default=4, help="one closed-loop burst")
    ap.add_argument("--pairs", type=int, default=9, help="bursts, each followed by analyze_many, whose median ratio is reported")
    ap.add_argument("--json", default=None)
    ap.add_argument("--bare-server", type=int, default=None, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--stripped-server", type=int, default=None, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.bare_server is not None or args.stripped_server is not None:
        import uvicorn

        app, port = (bare_app, args.bare_server) if args.bare_server is not None else (stripped_app(), args.stripped_server)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, proxy_headers=False)  # as the service runs
        return {}
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r["split"] == "test"]
    random.Random(16).shuffle(texts)
    bodies = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in texts]
    out: dict[str, Any] = {"cores": os.cpu_count(), "texts": len(texts)}

    sys.path.insert(0, str(ROOT))
    from complaint_nlp.analyzer import Analyzer

    an = Analyzer.load().warm_up()
    sample = texts * max(1, 8000 // len(texts))

    def analyze_many_rate() -> float:
        t = time.perf_counter()
        an.analyze_many(sample)
        return len(sample) / (time.perf_counter() - t)

    def burst(proc: subprocess.Popen, port: int, seconds: float, service: bool = False) -> dict[str, Any]:
        m0 = scrape(port) if service else {}
        c0 = cpu_seconds(proc.pid)
        r = asyncio.run(closed_loop(port, bodies, 64, seconds))
        r["server_cpu_ms_per_request"] = round((cpu_seconds(proc.pid) - c0) / r["requests"] * 1000, 3)
        r["server_bound_req_per_s"] = round(1000 / r["server_cpu_ms_per_request"], 1)
        if service:  # where the server's time went, from its own scoring timer
            m1 = scrape(port)
            texts_scored = m1["complaint_nlp_batch_size_sum"] - m0["complaint_nlp_batch_size_sum"]
            r["mean_micro_batch"] = round(texts_scored / (m1["complaint_nlp_batch_size_count"] - m0["complaint_nlp_batch_size_count"]), 1)
            r["scoring_ms_per_text"] = round((m1["complaint_nlp_scoring_seconds_sum"] - m0["complaint_nlp_scoring_seconds_sum"]) / texts_scored * 1000, 3)
            r["rest_ms_per_request"] = round(r["server_cpu_ms_per_request"] - r["scoring_ms_per_text"], 3)
        return r

    def paired(proc: subprocess.Popen, port: int, key: str, service: bool = False) -> None:
        """PAIRS rounds of a closed-loop burst, each followed at once by `analyze_many` on the same
        texts: the shared VM's speed drifts by 10-15% within minutes, so each ratio compares two
        runs a few seconds apart, and the median of the rounds is reported."""
        rounds = []
        for _ in range(args.pairs):
            r = burst(proc, port, args.burst_seconds, service)
            r["analyze_many_per_s"] = round(analyze_many_rate(), 1)
            r["ratio"] = round(r["req_per_s"] / r["analyze_many_per_s"], 3)
            r["server_bound_ratio"] = round(r["server_bound_req_per_s"] / r["analyze_many_per_s"], 3)
            rounds.append(r)
            print(key.replace("_", " "), r, flush=True)
        mid = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]  # the median round
        out[key] = {**mid, "rounds": rounds, "ratios": [r["ratio"] for r in rounds]}

    proc, port = start()
    try:
        out["open_loop"] = asyncio.run(open_loop(port, bodies, args.rate, args.seconds))
        print("open loop", out["open_loop"], flush=True)
        paired(proc, port, "micro_batching_on", service=True)
    finally:
        stop(proc)
    for key, kw in (("micro_batching_off", {}), ("bare_asgi", {"bare": True}), ("stripped_service", {"stripped": True})):
        proc, port = start("--no-micro-batch") if key == "micro_batching_off" else start(**kw)
        try:
            if key == "bare_asgi":
                out[key] = burst(proc, port, args.burst_seconds)
                print(key.replace("_", " "), out[key], flush=True)
            else:
                paired(proc, port, key)
        finally:
            stop(proc)
    out["analyze_many_us_per_text_by_batch"] = {}
    few = texts[:2048]
    for size in (1, 8, 32, 64):
        t = time.perf_counter()
        for i in range(0, len(few), size):
            an.analyze_many(few[i : i + size])
        out["analyze_many_us_per_text_by_batch"][str(size)] = round((time.perf_counter() - t) / len(few) * 1e6, 1)
    print("analyze_many µs a text by batch size", out["analyze_many_us_per_text_by_batch"], flush=True)
    on = out["micro_batching_on"]
    out["analyze_many_per_s"] = on["analyze_many_per_s"]
    out["micro_batched_vs_analyze_many"] = on["ratio"]
    # what one worker does with a core of its own (the load generator shares this machine)
    out["server_bound_vs_analyze_many"] = on["server_bound_ratio"]
    # the server CPU a request may cost for 0.7× analyze_many, and what scoring alone leaves of it
    out["budget_ms_per_request_at_0_7"] = round(1000 / on["analyze_many_per_s"] / 0.7, 3)
    out["budget_left_after_scoring_ms"] = round(out["budget_ms_per_request_at_0_7"] - on["scoring_ms_per_text"], 3)
    out["stripped_vs_analyze_many"] = out["stripped_service"]["ratio"]
    out["stripped_server_bound_vs_analyze_many"] = out["stripped_service"]["server_bound_ratio"]
    print("ratio (median round)", out["micro_batched_vs_analyze_many"], "rounds", on["ratios"], "server-bound", out["server_bound_vs_analyze_many"], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
