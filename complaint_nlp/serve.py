"""``complaint-nlp serve``: a ticket-ingestion HTTP service (a plain ASGI app on uvicorn).

Endpoints (JSON in, JSON out; results follow the published row schema,
:func:`complaint_nlp.schema.result_json_schema`):

* ``POST /v1/analyze`` ``{"text": str, "ticket_id"?: str, "customer_id"?: str}`` → one row.
* ``POST /v1/analyze/batch`` ``{"texts": [str, ...]}`` (at most ``max_batch``) → ``{"results": [row, ...]}``.
* ``POST /v1/threads/analyze`` ``{"messages": [str, ...], "ticket_id"?: str}`` → the thread view
  after each message and the rows.
* ``GET /healthz`` (the process is alive), ``GET /readyz`` (200 once the model is loaded and warmed
  up, 503 before), ``GET /metrics`` (Prometheus text), ``GET /openapi.json``.

Concurrent single requests are **micro-batched**: a request that arrives while the scorer is busy
waits for the next batch (at most ``batch_wait_ms`` more when others are arriving), and a batch runs
through ``analyze_many`` (on the event loop's thread up to :data:`INLINE_TEXTS` texts, on the
worker's scoring thread beyond, as batch and thread requests are); a request that finds the scorer
idle is scored at once. Anything a client
can send gets a 4xx with ``{"error": {"code", "message"}}``, never a 5xx. Logs are JSON lines through
``logging`` (logger ``complaint_nlp.serve``) and never hold message text unless ``log_text``.

Needs ``pip install 'complaint_nlp[serve]'`` (uvicorn, prometheus-client, orjson).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from ._version import __version__
from .output import RESULT_COLUMNS, native_row

__all__ = ["ServeConfig", "Service", "create_app", "run"]

log = logging.getLogger("complaint_nlp.serve")

#: the environment variable that carries the configuration to uvicorn's worker processes
_ENV = "COMPLAINT_NLP_SERVE_CONFIG"


@dataclass(frozen=True)
class ServeConfig:
    """Service settings (``complaint-nlp serve --help`` lists them as options)."""

    model: str | None = None
    no_model: bool = False
    lexicon: str | None = None
    extend_lexicon: bool = False
    max_chars: int = 20000
    evidence_spans: int = 3
    demands: str | None = None
    customer_types: str | None = None
    playbook: str | None = None
    advice: bool = True
    max_batch: int = 256  # texts per /v1/analyze/batch and messages per thread
    max_body_bytes: int = 1 << 20
    batch_wait_ms: float = 2.0  # how long a forming micro-batch waits for more requests
    micro_batch: bool = True
    max_micro_batch: int = 64
    timeout_s: float = 30.0
    log_text: bool = False

    @classmethod
    def from_env(cls) -> "ServeConfig":
        raw = os.environ.get(_ENV)
        return cls(**json.loads(raw)) if raw else cls()


class ClientError(Exception):
    """A request the client must fix: 4xx with a JSON error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ===================================================================== metrics
class _Metrics:
    """Prometheus metrics in a registry of this app's own (never the process-global one)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter("complaint_nlp_requests_total", "HTTP requests", ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram(
            "complaint_nlp_request_seconds", "request latency", ["endpoint"], registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
        )  # fmt: skip
        self.errors = Counter("complaint_nlp_errors_total", "requests answered with an error", ["endpoint", "code"], registry=self.registry)
        self.levels = Counter("complaint_nlp_levels_total", "escalation levels emitted", ["level"], registry=self.registry)
        self.categories = Counter("complaint_nlp_categories_total", "categories emitted", ["category"], registry=self.registry)
        self.batch_size = Histogram("complaint_nlp_batch_size", "texts per analyze_many call", registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        # scoring's share of the service's time: seconds in analyze_many ÷ the batch sizes' sum is
        # the cost of a text inside the service, next to what each request costs in all
        self.scoring = Histogram(
            "complaint_nlp_scoring_seconds", "seconds one analyze_many call took", registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
        )  # fmt: skip

    def results(self, analyses: list[Any]) -> None:
        """Count the levels and categories of a scored batch: one increment per distinct label
        (a result without them, as from a test's stand-in analyzer, counts under none)."""
        levels = Counter(getattr(a, "level", None) for a in analyses)
        categories = Counter(getattr(a, "category", None) for a in analyses)
        for metric, counts in ((self.levels, levels), (self.categories, categories)):
            for label, n in counts.items():
                if label:
                    self.child(metric, label).inc(n)

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once (the lookup costs more than the increment)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child


# ===================================================================== scoring
#: micro-batches of at most this many texts are scored on the event loop's thread; larger ones
#: (a larger --max-micro-batch) and every /batch or /threads request go to the scoring thread
INLINE_TEXTS = 64


class _Scorer:
    """Owns the analyzer and micro-batches single requests: a micro-batch of at most
    :data:`INLINE_TEXTS` texts is scored on the event loop's thread, anything larger (and every
    batch or thread request) on one scoring thread."""

    def __init__(self, config: ServeConfig, metrics: _Metrics) -> None:
        self.config, self.metrics = config, metrics
        self.analyzer: Any = None
        self.ready = False
        self.error: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="complaint-nlp-score")
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[Any]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight = 0
        self.pending_requests = 0  # requests being handled now (a forming batch waits for them)
        # the typical gap between single requests (an exponential moving average, seconds): a
        # forming batch waits for the next request only when one is due soon
        self.arrival_gap = float("inf")
        self._last_arrival: float | None = None

    def _load(self) -> None:
        from .analyzer import Analyzer

        c = self.config
        an = Analyzer.load(
            c.model, lexicon=c.lexicon, extend_lexicon=c.extend_lexicon, max_chars=c.max_chars, model=not c.no_model, evidence_spans=c.evidence_spans,
            demands=c.demands, customer_types=c.customer_types, playbook=c.playbook, advice=c.advice,
        )
        an.warm_up()
        self.analyzer = an

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._batcher())
        t0 = time.perf_counter()
        try:
            await loop.run_in_executor(self._pool, self._load)
        except Exception as exc:  # the service stays up and says why it is not ready
            self.error = f"{type(exc).__name__}: {exc}"
            log.error(json.dumps({"event": "load_failed", "error": self.error}, ensure_ascii=False))
            return
        self.ready = True
        log.info(json.dumps({"event": "ready", "seconds": round(time.perf_counter() - t0, 3), "model": self.analyzer.model_name, "pid": os.getpid()}))

    async def stop(self) -> None:
        """Score what is queued, then stop (SIGTERM drains: uvicorn waits for open requests)."""
        if self._queue is not None:
            deadline = time.monotonic() + self.config.timeout_s
            while (not self._queue.empty() or self._inflight) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
        if self._task is not None:
            self._task.cancel()
        self._pool.shutdown(wait=True)

    def _score(self, texts: list[str]) -> list[Any]:
        t0 = time.perf_counter()
        results = self.analyzer.analyze_many(texts)
        self.metrics.scoring.observe(time.perf_counter() - t0)
        self.metrics.batch_size.observe(len(texts))
        self.metrics.results(results)
        return results  # type: ignore[no-any-return]

    async def many(self, texts: list[str]) -> list[Any]:
        """Score a batch request directly (it is already a batch)."""
        self._check_ready()
        loop = asyncio.get_running_loop()
        self._inflight += 1
        try:
            return await loop.run_in_executor(self._pool, self._score, texts)
        finally:
            self._inflight -= 1

    async def one(self, text: str) -> Any:
        self._check_ready()
        if not self.config.micro_batch:
            return (await self.many([text]))[0]
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._last_arrival is not None:
            gap = now - self._last_arrival
            self.arrival_gap = gap if self.arrival_gap == float("inf") else 0.8 * self.arrival_gap + 0.2 * gap
        self._last_arrival = now
        fut: asyncio.Future[Any] = loop.create_future()
        self._queue.put_nowait((text, fut))
        return await fut

    def _check_ready(self) -> None:
        if not self.ready:
            raise ClientError(503, "not_ready", self.error or "the model is still loading; retry when /readyz says ready")

    async def _batcher(self) -> None:
        assert self._queue is not None
        q = self._queue
        loop = asyncio.get_running_loop()
        wait = self.config.batch_wait_ms / 1000.0
        while True:
            items = [await q.get()]
            # take what is already queued; wait (at most batch_wait_ms in all) while other
            # requests are still being read, or for the next request while one comes every
            # fraction of the wait (a busy service): an idle service answers a lone request at once
            deadline = loop.time() + wait
            while len(items) < self.config.max_micro_batch:
                if not q.empty():
                    items.append(q.get_nowait())
                    continue
                left = deadline - loop.time()
                if left <= 0:
                    break
                if self.pending_requests <= len(items):
                    due = 2.0 * self.arrival_gap  # the next request is late after twice the usual gap
                    if due >= left:
                        break
                    left = due
                try:
                    items.append(await asyncio.wait_for(q.get(), left))
                except asyncio.TimeoutError:
                    break
            texts = [t for t, _ in items]
            self._inflight += 1
            try:
                if len(texts) <= INLINE_TEXTS:
                    # scored on the event loop's own thread: a hand-off to the scoring thread
                    # costs more in GIL switches than it saves (bench_serve.py), and the loop
                    # waits at most about 15 ms for 64 texts
                    results = self._score(texts)
                else:
                    results = await loop.run_in_executor(self._pool, self._score, texts)
                for (_, fut), r in zip(items, results):
                    if not fut.done():
                        fut.set_result(r)
            except Exception as exc:  # hand the failure to every waiting request
                for _, fut in items:
                    if not fut.done():
                        fut.set_exception(exc)
            finally:
                self._inflight -= 1


# ===================================================================== the app
async def _with_timeout(coro: Any, seconds: float) -> Any:
    """``await coro`` or raise TimeoutError after ``seconds`` (asyncio.timeout on 3.11+: no
    extra task per request)."""
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:  # pragma: no cover - Python 3.10
        return await asyncio.wait_for(coro, seconds)
    async with timeout(seconds):
        return await coro


def _row(a: Any) -> dict[str, Any]:
    return dict(zip(RESULT_COLUMNS, native_row(a)))


def _json(payload: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: a result row in about a fifth of the stdlib's time). A lone
    surrogate, which a client can send as a ``\\ud800`` escape and which UTF-8 cannot hold,
    falls back to ASCII-escaped JSON."""
    try:
        return orjson.dumps(payload)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _error(code: str, message: str) -> bytes:
    return _json({"error": {"code": code, "message": message}})


def _ensure_str(v: Any, what: str, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str):
        raise ClientError(422, "invalid_type", f"{what} must be a string, got {_json_type(v)}")
    return v


def _json_type(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null", int: "a number", float: "a number"}.get(type(v), type(v).__name__)


class _Disconnected(Exception):
    """The client went away before its body was read: nothing to answer."""


_JSON = b"application/json"


class Service:
    """The service as a plain ASGI 3 application (uvicorn runs it; ``create_app`` builds it).

    Seven fixed JSON routes need no framework, and dropping Starlette's request and response
    layers (with orjson for the rows) took about 10% off a micro-batched request's CPU (A/B with
    ``bench/bench_serve.py``'s load generator), so routing, body limits, errors, timeouts, metrics
    and logs are done here, in one place.
    """

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.metrics = _Metrics()
        self.scorer = _Scorer(config, self.metrics)
        self._loader: asyncio.Task[None] | None = None
        self._post = {
            "/v1/analyze": ("analyze", self.analyze),
            "/v1/analyze/batch": ("analyze_batch", self.analyze_batch),
            "/v1/threads/analyze": ("threads_analyze", self.threads_analyze),
        }
        self._get = {"/healthz": self.healthz, "/readyz": self.readyz, "/metrics": self.metrics_text, "/openapi.json": self.openapi}

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":  # not served: refuse the handshake
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # the model loads in the background: /healthz answers at once, /readyz once warm
                self._loader = asyncio.create_task(self.scorer.start())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.scorer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path, method = scope["path"], scope["method"]
        post = self._post.get(path)
        if post is not None and method == "POST":
            await self._handle(post[0], post[1], scope, receive, send)
            return
        get = self._get.get(path)
        if get is not None and method in ("GET", "HEAD"):
            try:
                status, body, content_type = get()
            except Exception as exc:  # a bug: say so, log it, keep serving
                log.exception(json.dumps({"event": "internal_error", "endpoint": path, "error": repr(exc)}))
                status, body, content_type = 500, _error("internal", "internal error; it has been logged"), _JSON
            await _send(send, status, body, content_type, head=method == "HEAD")
            return
        if post is None and get is None:
            await _send(send, 404, _error("not_found", f"{method} {path}: no such endpoint"))
        else:
            allow = b"POST" if post is not None else b"GET, HEAD"
            await _send(send, 405, _error("method_not_allowed", f"{method} {path}: method not allowed"), headers=[(b"allow", allow)])

    async def _handle(self, name: str, fn: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """One POST: read and check the body, run ``fn`` within the timeout, answer JSON; count,
        time and log it. Whatever a client sends ends in a 4xx, never a 5xx."""
        t0 = time.perf_counter()
        status, info = 200, {}
        self.scorer.pending_requests += 1
        try:
            try:
                payload, info = await _with_timeout(self._run(fn, scope, receive), self.config.timeout_s)
                out = _json(payload)
            except ClientError as exc:
                status = exc.status
                self.metrics.errors.labels(name, exc.code).inc()
                out = _error(exc.code, exc.message)
            except asyncio.TimeoutError:
                status = 503
                self.metrics.errors.labels(name, "timeout").inc()
                out = _error("timeout", f"not answered within {self.config.timeout_s} s; retry")
            except _Disconnected:
                return
            except Exception as exc:  # a bug: say so, log it, keep serving
                status = 500
                self.metrics.errors.labels(name, "internal").inc()
                log.exception(json.dumps({"event": "internal_error", "endpoint": name, "error": repr(exc)}))
                out = _error("internal", "internal error; it has been logged")
        finally:
            self.scorer.pending_requests -= 1
        dt = time.perf_counter() - t0
        self.metrics.child(self.metrics.requests, name, str(status)).inc()
        self.metrics.child(self.metrics.latency, name).observe(dt)
        if log.isEnabledFor(logging.INFO):  # build the line only when it is written
            log.info(json.dumps({"event": "request", "endpoint": name, "status": status, "ms": round(dt * 1000, 2), **info}, ensure_ascii=False))
        await _send(send, status, out)

    async def _run(self, fn: Any, scope: dict[str, Any], receive: Any) -> tuple[Any, dict[str, Any]]:
        return await fn(self._parse(await self._body(scope, receive)))  # type: ignore[no-any-return]

    async def _body(self, scope: dict[str, Any], receive: Any) -> bytes:
        limit = self.config.max_body_bytes
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ClientError(413, "body_too_large", f"the body is larger than {limit} bytes")
        parts: list[bytes] = []
        size = 0
        while True:  # one message as a rule; a chunked or large body comes in several
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            part = message.get("body", b"")
            size += len(part)
            if size > limit:  # counted as it comes: a chunked body has no Content-Length
                raise ClientError(413, "body_too_large", f"the body is larger than {limit} bytes")
            parts.append(part)
            if not message.get("more_body", False):
                return parts[0] if len(parts) == 1 else b"".join(parts)

    @staticmethod
    def _parse(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ClientError(400, "invalid_encoding", "the body must be UTF-8 JSON") from None
        except ValueError as exc:
            raise ClientError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ClientError(422, "invalid_type", f"the body must be a JSON object, got {_json_type(data)}")
        return data

    def _texts(self, data: dict[str, Any], key: str) -> list[str]:
        v = data.get(key)
        if not isinstance(v, list):
            raise ClientError(422, "invalid_type" if key in data else "missing_field", f"'{key}' must be an array of strings" + ("" if key in data else ", and it is missing"))
        if not v:
            raise ClientError(422, "empty", f"'{key}' must hold at least one text")
        if len(v) > self.config.max_batch:
            raise ClientError(413, "batch_too_large", f"'{key}' holds {len(v)} items; the limit is {self.config.max_batch}")
        for i, t in enumerate(v):
            _ensure_str(t, f"{key}[{i}]")
        return v

    @staticmethod
    def _only(data: dict[str, Any], allowed: set[str]) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise ClientError(422, "unknown_field", f"unknown field(s) {extra}; allowed: {sorted(allowed)}")

    # ------------------------------------------------------------------ endpoints
    async def analyze(self, data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self._only(data, {"text", "ticket_id", "customer_id"})
        if "text" not in data:
            raise ClientError(422, "missing_field", "'text' is required")
        text = _ensure_str(data["text"], "text")
        ticket = _ensure_str(data.get("ticket_id"), "ticket_id", optional=True)
        customer = _ensure_str(data.get("customer_id"), "customer_id", optional=True)
        row = _row(await self.scorer.one(text))  # type: ignore[arg-type]
        out = {"ticket_id": ticket, "customer_id": customer, **row}
        info: dict[str, Any] = {"escalation": row["level"], "category": row["category"], "chars": len(text or "")}
        if self.config.log_text:
            info["text"] = text
        return out, info

    async def analyze_batch(self, data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self._only(data, {"texts"})
        texts = self._texts(data, "texts")
        rows = [_row(a) for a in await self.scorer.many(texts)]
        return {"results": rows}, {"texts": len(texts)}

    async def threads_analyze(self, data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from .threads import ThreadState

        self._only(data, {"messages", "ticket_id"})
        msgs = self._texts(data, "messages")
        ticket = _ensure_str(data.get("ticket_id"), "ticket_id", optional=True)
        results = await self.scorer.many(msgs)
        st = ThreadState()
        rows = []
        for a in results:
            rows.append({**_row(a), **st.update(a)})
        last = rows[-1]
        thread = {k: last[k] for k in ("thread_position", "thread_chases", "thread_trajectory", "thread_max_level", "thread_level")}
        return {"ticket_id": ticket, "thread": thread, "messages": rows}, {"messages": len(msgs), "escalation": thread["thread_level"]}

    def healthz(self) -> tuple[int, bytes, bytes]:
        return 200, _json({"status": "alive", "version": __version__, "pid": os.getpid()}), _JSON

    def readyz(self) -> tuple[int, bytes, bytes]:
        if self.scorer.ready:
            return 200, _json({"ready": True, "model": self.scorer.analyzer.model_name}), _JSON
        return 503, _json({"ready": False, "error": self.scorer.error}), _JSON

    def metrics_text(self) -> tuple[int, bytes, bytes]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return 200, generate_latest(self.metrics.registry), CONTENT_TYPE_LATEST.encode()

    def openapi(self) -> tuple[int, bytes, bytes]:
        return 200, _json(openapi_document(self.config)), _JSON


async def _send(send: Any, status: int, body: bytes, content_type: bytes = _JSON, *, head: bool = False, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body)), *(headers or [])]})
    await send({"type": "http.response.body", "body": b"" if head else body})


def create_app(config: ServeConfig | None = None) -> Service:
    """The ASGI app for ``config`` (default: from the environment, as uvicorn workers get it)."""
    return Service(config or ServeConfig.from_env())


def openapi_document(cfg: ServeConfig) -> dict[str, Any]:
    """OpenAPI 3.1; the result rows are the published row schema."""
    from .schema import result_json_schema

    row = result_json_schema()
    row.pop("$schema", None)
    thread = result_json_schema(thread=True)
    thread.pop("$schema", None)
    err = {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}, "required": ["code", "message"]}}, "required": ["error"]}
    errors = {str(s): {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}} for s, d in ((400, "invalid JSON"), (413, "body or batch too large"), (422, "wrong or missing fields"), (503, "not ready or timed out"))}

    def post(summary: str, body: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
        return {"post": {"summary": summary, "requestBody": {"required": True, "content": {"application/json": {"schema": body}}}, "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}, **errors}}}

    opt = {"type": ["string", "null"]}
    texts = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": cfg.max_batch}
    return {
        "openapi": "3.1.0",
        "info": {"title": "complaint_nlp", "version": __version__, "description": "Chinese customer-complaint analysis: category, emotion, escalation signals with evidence, level."},
        "paths": {
            "/v1/analyze": post("analyse one ticket message", {"type": "object", "properties": {"text": {"type": "string"}, "ticket_id": opt, "customer_id": opt}, "required": ["text"], "additionalProperties": False}, {"allOf": [{"$ref": "#/components/schemas/Row"}, {"type": "object", "properties": {"ticket_id": opt, "customer_id": opt}}]}),
            "/v1/analyze/batch": post("analyse up to max_batch texts", {"type": "object", "properties": {"texts": texts}, "required": ["texts"], "additionalProperties": False}, {"type": "object", "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}}}, "required": ["results"]}),
            "/v1/threads/analyze": post("analyse one ticket's messages in order", {"type": "object", "properties": {"messages": texts, "ticket_id": opt}, "required": ["messages"], "additionalProperties": False}, {"type": "object", "properties": {"ticket_id": opt, "thread": {"type": "object"}, "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ThreadRow"}}}, "required": ["thread", "messages"]}),
            "/healthz": {"get": {"summary": "alive", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "model loaded and warmed up", "responses": {"200": {"description": "ready"}, "503": {"description": "not ready yet"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text/plain exposition"}}}},
        },
        "components": {"schemas": {"Row": row, "ThreadRow": thread, "Error": err}},
    }


class _JsonFormatter(logging.Formatter):
    """One JSON object per line; the message is already JSON for our own events."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        try:
            payload = json.loads(msg)
            if not isinstance(payload, dict):
                raise ValueError
        except ValueError:
            payload = {"message": msg}
        out = {"time": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name, **payload}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def run(config: ServeConfig, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info", keep_alive: int = 75) -> None:
    """Serve until SIGTERM/SIGINT (in-flight requests are answered first). With ``workers > 1``
    uvicorn starts that many processes, each loading its own model once. ``keep_alive``: seconds an
    idle HTTP connection stays open."""
    import uvicorn

    os.environ[_ENV] = json.dumps(asdict(config))
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonFormatter())
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": _JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "complaint_nlp.serve": {"handlers": ["stderr"], "level": log_level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": log_level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # our own access log has the fields that matter
        },
    }
    uvicorn.run(
        "complaint_nlp.serve:create_app", factory=True, host=host, port=port, workers=workers,
        log_config=log_config, timeout_graceful_shutdown=int(config.timeout_s) + 5, access_log=False,
        # longer than a load balancer's idle timeout (60 s on the common ones), so the balancer,
        # not the worker, closes an idle keep-alive connection and never sends into a closed one
        timeout_keep_alive=keep_alive,
        # the service reads no client address or scheme, so X-Forwarded-* rewriting is a layer for nothing
        proxy_headers=False,
    )  # fmt: skip
