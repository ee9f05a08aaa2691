"""`complaint-nlp serve` (issue #16): the real server on a loopback port, called over HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")
pytest.importorskip("orjson")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the log goes to a file: an unread pipe would fill up and stall the server
        import tempfile

        self.log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, "-m", "complaint_nlp", "serve", "--port", str(self.port), *args], stdout=subprocess.DEVNULL, stderr=self.log)
        self.seen_not_ready = False
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, self.stderr()[-3000:]
            try:
                r = httpx.get(self.url + "/readyz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.02)
                continue
            if r.status_code == 503:
                self.seen_not_ready = True
                assert httpx.get(self.url + "/healthz").status_code == 200  # alive while loading
                time.sleep(0.02)
                continue
            assert r.status_code == 200 and r.json()["ready"] is True
            return
        raise AssertionError("the server never became ready")

    def post(self, path: str, body, **kw):  # type: ignore[no-untyped-def]
        if isinstance(body, (bytes, str)):
            return httpx.post(self.url + path, content=body, timeout=60, **kw)
        return httpx.post(self.url + path, json=body, timeout=60, **kw)

    def stderr(self) -> str:
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


def _local_rows(analyzer, texts):
    from complaint_nlp.serve import _row

    return [json.loads(json.dumps(_row(a), ensure_ascii=False)) for a in analyzer.analyze_many(texts)]


def test_readyz_is_false_until_warm_up_ends(server):
    assert server.seen_not_ready  # /readyz said 503 while the model loaded, /healthz said alive


def test_results_equal_analyze_on_the_corpus_test_split(server, analyzer):
    import csv

    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r["split"] == "test"]
    want = _local_rows(analyzer, texts)
    got = []
    for i in range(0, len(texts), 256):
        r = server.post("/v1/analyze/batch", {"texts": texts[i : i + 256]})
        assert r.status_code == 200, r.text
        got.extend(r.json()["results"])
    assert got == want
    # single requests, many at once: micro-batched, the same answers
    sample = texts[:120]
    out: dict[int, dict] = {}

    def one(i: int) -> None:
        r = server.post("/v1/analyze", {"text": sample[i], "ticket_id": f"T{i}"})
        assert r.status_code == 200
        out[i] = r.json()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(sample))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, w in enumerate(want[:120]):
        body = dict(out[i])
        assert body.pop("ticket_id") == f"T{i}" and body.pop("customer_id") is None
        assert body == w
    metrics = httpx.get(server.url + "/metrics").text
    sizes = {line.split(" ")[0]: float(line.split(" ")[1]) for line in metrics.splitlines() if line.startswith("complaint_nlp_batch_size_bucket")}
    assert sizes['complaint_nlp_batch_size_bucket{le="1.0"}'] < sizes['complaint_nlp_batch_size_bucket{le="+Inf"}']  # some batches held several
    assert 'complaint_nlp_levels_total{level="urgent"}' in metrics and "complaint_nlp_request_seconds_bucket" in metrics
    # every scoring call is timed: as many observations as batch sizes, and some time spent
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in metrics.splitlines() if line and not line.startswith("#")}
    assert values["complaint_nlp_scoring_seconds_count"] == values["complaint_nlp_batch_size_count"] > 0
    assert values["complaint_nlp_scoring_seconds_sum"] > 0


def test_threads_endpoint(server, analyzer):
    from complaint_nlp.threads import analyze_thread

    msgs = ["你好，我的洗衣机不脱水了，麻烦安排维修", "上周说好来修，到现在没人来", "第三次打电话了！！再不来修我就去12315投诉！！！"]
    r = server.post("/v1/threads/analyze", {"messages": msgs, "ticket_id": "A-1"})
    assert r.status_code == 200
    body = r.json()
    t = analyze_thread(msgs, analyzer=analyzer)
    assert body["ticket_id"] == "A-1" and body["thread"]["thread_level"] == t.level and body["thread"]["thread_trajectory"] == t.trajectory
    assert [m["thread_position"] for m in body["messages"]] == [1, 2, 3]


BAD = [
    ("/v1/analyze", b"{not json", 400, "invalid_json"),
    ("/v1/analyze", b"\xff\xfe", 400, "invalid_encoding"),
    ("/v1/analyze", b"", 400, "invalid_json"),
    ("/v1/analyze", b"[]", 422, "invalid_type"),
    ("/v1/analyze", b'"text"', 422, "invalid_type"),
    ("/v1/analyze", b"{}", 422, "missing_field"),
    ("/v1/analyze", b'{"text": null}', 422, "invalid_type"),
    ("/v1/analyze", b'{"text": 12315}', 422, "invalid_type"),
    ("/v1/analyze", b'{"text": ["a"]}', 422, "invalid_type"),
    ("/v1/analyze", b'{"text": "a", "ticket_id": 5}', 422, "invalid_type"),
    ("/v1/analyze", b'{"text": "a", "extra": 1}', 422, "unknown_field"),
    ("/v1/analyze/batch", b'{"texts": "abc"}', 422, "invalid_type"),
    ("/v1/analyze/batch", b'{"texts": []}', 422, "empty"),
    ("/v1/analyze/batch", b'{"texts": ["a", null]}', 422, "invalid_type"),
    ("/v1/analyze/batch", json.dumps({"texts": ["a"] * 257}).encode(), 413, "batch_too_large"),
    ("/v1/analyze/batch", b"{}", 422, "missing_field"),
    ("/v1/threads/analyze", b'{"messages": [1, 2]}', 422, "invalid_type"),
    ("/v1/analyze", json.dumps({"text": "投" * 400_000}).encode(), 413, "body_too_large"),
]


@pytest.mark.parametrize("path,body,status,code", BAD, ids=[f"{p}-{c}-{i}" for i, (p, _, _, c) in enumerate(BAD)])
def test_bad_input_gets_a_4xx_json_error(server, path, body, status, code):
    r = server.post(path, body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


def test_wrong_method_and_path_are_4xx(server):
    r = httpx.get(server.url + "/v1/analyze")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["error"]["code"] == "method_not_allowed"
    r = server.post("/healthz", {})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert httpx.get(server.url + "/v2/nothing").status_code == 404
    assert httpx.get(server.url + "/v2/nothing").json()["error"]["code"] == "not_found"
    head = httpx.head(server.url + "/healthz")  # HEAD: the GET's status and headers, no body
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def test_chunked_bodies_and_lone_surrogates():
    """A body sent in chunks (no Content-Length) is read and counted as it comes; a text holding a
    lone surrogate escape (valid JSON, not valid UTF-8) is analysed and answered as escaped JSON."""
    s = Server("--no-model", "--max-body-bytes", "2000")
    try:
        def chunks(body: bytes, size: int = 100):
            for i in range(0, len(body), size):
                yield body[i : i + size]

        ok = httpx.post(s.url + "/v1/analyze", content=chunks(json.dumps({"text": "再不退款就去12315投诉"}).encode()), timeout=30)
        assert ok.status_code == 200 and ok.json()["level"] == "urgent"
        big = httpx.post(s.url + "/v1/analyze", content=chunks(json.dumps({"text": "投" * 3000}).encode()), timeout=30)
        assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
        # over the limit in one chunk: it may arrive as one message, and is still counted
        one = httpx.post(s.url + "/v1/analyze", content=iter([json.dumps({"text": "投" * 3000}).encode()]), timeout=30)
        assert one.status_code == 413 and one.json()["error"]["code"] == "body_too_large"
        odd = s.post("/v1/analyze", b'{"text": "\\ud800\\u8d54\\u507f\\u0031\\u0030\\u4e07\\ud800"}', headers={"content-type": "application/json"})
        assert odd.status_code == 200, odd.text
        assert odd.json()["error"] is None and odd.json()["demands"]
    finally:
        s.stop()
    from complaint_nlp.serve import _json

    # a row whose evidence holds a lone surrogate: UTF-8 cannot carry it, escaped JSON can
    assert json.loads(_json({"text": "\ud800赔偿"})) == {"text": "\ud800赔偿"}
    assert _json({"text": "赔偿", "score": 0.5}) == json.dumps({"text": "赔偿", "score": 0.5}, ensure_ascii=False, separators=(",", ":")).encode()


def test_hard_inputs_are_analysed(server):
    for text in ["", "   ", "🙂" * 100, "<b>太坑了</b>&nbsp;", "１２３１５", "車子剎車失靈", "投" * 30_000, "\x00\u2028"]:
        r = server.post("/v1/analyze", {"text": text})
        assert r.status_code == 200 and r.json()["error"] is None, text[:20]
    assert server.post("/v1/analyze", {"text": "投" * 30_000}).json()["truncated"] is True


def test_openapi_serves_the_published_row_schema(server):
    from complaint_nlp.schema import result_json_schema

    doc = httpx.get(server.url + "/openapi.json").json()
    row = result_json_schema()
    row.pop("$schema")
    assert doc["components"]["schemas"]["Row"] == row
    assert set(doc["paths"]) >= {"/v1/analyze", "/v1/analyze/batch", "/v1/threads/analyze", "/healthz", "/readyz", "/metrics"}


def test_no_5xx_for_anything_a_client_can_send(server):
    """Property-based: arbitrary JSON values and bytes to every POST endpoint, bounded in time."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
    values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=12)
    bodies = values | st.fixed_dictionaries({"text": values}) | st.fixed_dictionaries({"texts": st.lists(values, max_size=5)}) | st.fixed_dictionaries({"messages": st.lists(st.text(max_size=30) | values, max_size=4)}, optional={"ticket_id": values})
    paths = st.sampled_from(["/v1/analyze", "/v1/analyze/batch", "/v1/threads/analyze"])

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(paths, bodies)
    def check_json(path, body):
        r = server.post(path, json.dumps(body).encode(), headers={"content-type": "application/json"})
        assert r.status_code < 500, (path, body, r.text)
        if r.status_code >= 400:
            assert r.json()["error"]["code"]

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(paths, st.binary(max_size=200))
    def check_bytes(path, body):
        assert server.post(path, body).status_code < 500

    check_json()
    check_bytes()


def test_logs_are_json_without_message_text(tmp_path):
    s = Server("--no-model")
    try:
        assert s.post("/v1/analyze", {"text": "我的手机号是13800000000，再不退款就起诉"}).status_code == 200
    finally:
        s.stop()
    lines = [line for line in s.stderr().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    req = [r for r in records if r.get("event") == "request"]
    assert req and req[0]["status"] == 200 and req[0]["escalation"] == "urgent"
    assert not any("13800000000" in line for line in lines)
    assert s.proc.returncode == 0


def test_sigterm_drains_in_flight_requests():
    s = Server("--max-body-bytes", "50000000", "--max-batch", "400")
    result: dict = {}
    texts = ["第三次打电话了！再不处理我就去12315投诉，" * 250] * 400  # about two seconds of work

    def call() -> None:
        try:
            r = s.post("/v1/analyze/batch", {"texts": texts})
            result["status"] = r.status_code
            result["n"] = len(r.json()["results"])
        except Exception as exc:  # pragma: no cover - the assertion below says what happened
            result["error"] = repr(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.5)  # the request is being scored
    s.proc.send_signal(signal.SIGTERM)
    t.join(120)
    rc = s.proc.wait(60)
    assert result.get("status") == 200 and result.get("n") == 400, result
    assert rc == 0


def test_micro_batches_are_scored_on_the_loop_thread_and_larger_ones_on_the_scoring_thread():
    """Micro-batches of at most INLINE_TEXTS texts skip the hand-off to the scoring thread (it
    cost more in GIL switches than it saved); larger ones, and /batch requests, still go there so
    the event loop is never blocked for long."""
    import asyncio

    from complaint_nlp.serve import INLINE_TEXTS, ServeConfig, _Metrics, _Scorer

    seen: list[tuple[int, str]] = []

    class Stub:
        model_name = "stub"

        def analyze_many(self, texts):
            seen.append((len(texts), threading.current_thread().name))
            return [f"r:{t}" for t in texts]

    loop_thread = threading.current_thread().name  # asyncio.run runs the loop on this thread

    async def run() -> tuple[list[str], list[str], list[str]]:
        scorer = _Scorer(ServeConfig(max_micro_batch=INLINE_TEXTS + 36, batch_wait_ms=500.0), _Metrics())
        scorer._load = lambda: setattr(scorer, "analyzer", Stub())  # type: ignore[method-assign]
        await scorer.start()
        scorer.pending_requests = 10_000  # as if many requests were still being read: the batch fills
        small = await asyncio.gather(*(scorer.one(f"a{i}") for i in range(5)))
        scorer.pending_requests = 10_000
        large = await asyncio.gather(*(scorer.one(f"b{i}") for i in range(INLINE_TEXTS + 36)))
        batch = await scorer.many(["c0", "c1"])
        await scorer.stop()
        return small, large, batch

    small, large, batch = asyncio.run(run())
    assert small == [f"r:a{i}" for i in range(5)] and large == [f"r:b{i}" for i in range(INLINE_TEXTS + 36)] and batch == ["r:c0", "r:c1"]
    assert seen[0] == (5, loop_thread)
    assert seen[1][0] == INLINE_TEXTS + 36 and seen[1][1].startswith("complaint-nlp-score")
    assert seen[2][0] == 2 and seen[2][1].startswith("complaint-nlp-score")


def test_a_forming_micro_batch_waits_for_a_due_request_and_never_for_an_idle_service():
    """An idle service scores a lone request at once however long --batch-wait-ms is; a busy one
    (requests every 50 ms here) holds a forming batch for the next request while it is due
    (twice the usual gap), then scores without waiting out the rest of --batch-wait-ms."""
    import asyncio

    from complaint_nlp.serve import ServeConfig, _Metrics, _Scorer

    seen: list[list[str]] = []

    class Stub:
        model_name = "stub"

        def analyze_many(self, texts):
            seen.append(list(texts))
            return [f"r:{t}" for t in texts]

    async def run() -> list[str]:
        scorer = _Scorer(ServeConfig(batch_wait_ms=60_000.0), _Metrics())
        scorer._load = lambda: setattr(scorer, "analyzer", Stub())  # type: ignore[method-assign]
        await scorer.start()
        # idle: no request before, so none is due; the 60 s batch wait is never spent
        assert scorer.arrival_gap == float("inf")
        alone = await asyncio.wait_for(scorer.one("alone"), 10)
        # busy: a request came every 50 ms so far; the next arrives 20 ms after this one
        loop = asyncio.get_running_loop()
        scorer.arrival_gap, scorer._last_arrival = 0.05, loop.time() - 0.05
        first = asyncio.ensure_future(scorer.one("first"))
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(scorer.one("second"))
        both = await asyncio.wait_for(asyncio.gather(first, second), 10)  # not the 60 s wait
        await scorer.stop()
        return [alone, *both]

    assert asyncio.run(run()) == ["r:alone", "r:first", "r:second"]
    assert seen == [["alone"], ["first", "second"]]
