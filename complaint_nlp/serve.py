"""``complaint-nlp serve``: a ticket-ingestion HTTP service (Starlette on uvicorn).

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

Needs ``pip install 'complaint_nlp[serve]'`` (starlette, uvicorn, prometheus-client).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from ._version import __version__

__all__ = ["ServeConfig", "create_app", "run"]

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
        self.requests = Counter("complaint_nlp_requests_total", "HTTP requests", ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram(
            "complaint_nlp_request_seconds", "request latency", ["endpoint"], registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
        )  # fmt: skip
        self.errors = Counter("complaint_nlp_errors_total", "requests answered with an error", ["endpoint", "code"], registry=self.registry)
        self.levels = Counter("complaint_nlp_levels_total", "escalation levels emitted", ["level"], registry=self.registry)
        self.categories = Counter("complaint_nlp_categories_total", "categories emitted", ["category"], registry=self.registry)
        self.batch_size = Histogram("complaint_nlp_batch_size", "texts per analyze_many call", registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))

    def results(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            if r.get("level"):
                self.levels.labels(r["level"]).inc()
            if r.get("category"):
                self.categories.labels(r["category"]).inc()


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
        self.metrics.batch_size.observe(len(texts))
        return self.analyzer.analyze_many(texts)  # type: ignore[no-any-return]

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
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, fut))
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
            # take what is already queued; wait (at most batch_wait_ms) only while other requests
            # are still being read, so an idle service answers a lone request at once
            deadline = loop.time() + wait
            while len(items) < self.config.max_micro_batch:
                if not q.empty():
                    items.append(q.get_nowait())
                    continue
                left = deadline - loop.time()
                if left <= 0 or self.pending_requests <= len(items):
                    break
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
    from .output import RESULT_COLUMNS, native_row

    return dict(zip(RESULT_COLUMNS, native_row(a)))


def _err(status: int, code: str, message: str) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _ensure_str(v: Any, what: str, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str):
        raise ClientError(422, "invalid_type", f"{what} must be a string, got {_json_type(v)}")
    return v


def _json_type(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null", int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def create_app(config: ServeConfig | None = None) -> Any:
    """The Starlette app for ``config`` (default: from the environment, as uvicorn workers get it)."""
    from contextlib import asynccontextmanager

    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    cfg = config or ServeConfig.from_env()
    metrics = _Metrics()
    scorer = _Scorer(cfg, metrics)

    async def read_json(request: Request) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > cfg.max_body_bytes):
            raise ClientError(413, "body_too_large", f"the body is larger than {cfg.max_body_bytes} bytes")
        if length is not None:  # the size is known and allowed: read it in one go
            body = await request.body()
        else:  # chunked: count as it comes
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > cfg.max_body_bytes:
                    raise ClientError(413, "body_too_large", f"the body is larger than {cfg.max_body_bytes} bytes")
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ClientError(400, "invalid_encoding", "the body must be UTF-8 JSON") from None
        except ValueError as exc:
            raise ClientError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ClientError(422, "invalid_type", f"the body must be a JSON object, got {_json_type(data)}")
        return data

    def texts_of(data: dict[str, Any], key: str) -> list[str]:
        v = data.get(key)
        if not isinstance(v, list):
            raise ClientError(422, "invalid_type" if key in data else "missing_field", f"'{key}' must be an array of strings" + ("" if key in data else ", and it is missing"))
        if not v:
            raise ClientError(422, "empty", f"'{key}' must hold at least one text")
        if len(v) > cfg.max_batch:
            raise ClientError(413, "batch_too_large", f"'{key}' holds {len(v)} items; the limit is {cfg.max_batch}")
        for i, t in enumerate(v):
            _ensure_str(t, f"{key}[{i}]")
        return v

    def unknown(data: dict[str, Any], allowed: set[str]) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise ClientError(422, "unknown_field", f"unknown field(s) {extra}; allowed: {sorted(allowed)}")

    def endpoint(name: str):  # type: ignore[no-untyped-def]
        def wrap(fn):  # type: ignore[no-untyped-def]
            async def handler(request: Request) -> Response:
                t0 = time.perf_counter()
                status, info = 200, {}
                scorer.pending_requests += 1
                try:
                    try:
                        payload, info = await _with_timeout(fn(request), cfg.timeout_s)
                        resp: Response = JSONResponse(payload)
                    except ClientError as exc:
                        status = exc.status
                        metrics.errors.labels(name, exc.code).inc()
                        resp = _err(exc.status, exc.code, exc.message)
                    except asyncio.TimeoutError:
                        status = 503
                        metrics.errors.labels(name, "timeout").inc()
                        resp = _err(503, "timeout", f"not answered within {cfg.timeout_s} s; retry")
                    except Exception as exc:  # a bug: say so, log it, keep serving
                        status = 500
                        metrics.errors.labels(name, "internal").inc()
                        log.exception(json.dumps({"event": "internal_error", "endpoint": name, "error": repr(exc)}))
                        resp = _err(500, "internal", "internal error; it has been logged")
                finally:
                    scorer.pending_requests -= 1
                dt = time.perf_counter() - t0
                metrics.requests.labels(name, str(status)).inc()
                metrics.latency.labels(name).observe(dt)
                if log.isEnabledFor(logging.INFO):  # build the line only when it is written
                    log.info(json.dumps({"event": "request", "endpoint": name, "status": status, "ms": round(dt * 1000, 2), **info}, ensure_ascii=False))
                return resp

            return handler

        return wrap

    @endpoint("analyze")
    async def analyze(request: Request) -> tuple[Any, dict[str, Any]]:
        data = await read_json(request)
        unknown(data, {"text", "ticket_id", "customer_id"})
        if "text" not in data:
            raise ClientError(422, "missing_field", "'text' is required")
        text = _ensure_str(data["text"], "text")
        ticket = _ensure_str(data.get("ticket_id"), "ticket_id", optional=True)
        customer = _ensure_str(data.get("customer_id"), "customer_id", optional=True)
        row = _row(await scorer.one(text))  # type: ignore[arg-type]
        metrics.results([row])
        out = {"ticket_id": ticket, "customer_id": customer, **row}
        info: dict[str, Any] = {"escalation": row["level"], "category": row["category"], "chars": len(text or "")}
        if cfg.log_text:
            info["text"] = text
        return out, info

    @endpoint("analyze_batch")
    async def analyze_batch(request: Request) -> tuple[Any, dict[str, Any]]:
        data = await read_json(request)
        unknown(data, {"texts"})
        texts = texts_of(data, "texts")
        rows = [_row(a) for a in await scorer.many(texts)]
        metrics.results(rows)
        return {"results": rows}, {"texts": len(texts)}

    @endpoint("threads_analyze")
    async def threads_analyze(request: Request) -> tuple[Any, dict[str, Any]]:
        from .threads import ThreadState

        data = await read_json(request)
        unknown(data, {"messages", "ticket_id"})
        msgs = texts_of(data, "messages")
        ticket = _ensure_str(data.get("ticket_id"), "ticket_id", optional=True)
        results = await scorer.many(msgs)
        st = ThreadState()
        rows = []
        for a in results:
            rows.append({**_row(a), **st.update(a)})
        metrics.results(rows)
        last = rows[-1]
        thread = {k: last[k] for k in ("thread_position", "thread_chases", "thread_trajectory", "thread_max_level", "thread_level")}
        return {"ticket_id": ticket, "thread": thread, "messages": rows}, {"messages": len(msgs), "escalation": thread["thread_level"]}

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive", "version": __version__, "pid": os.getpid()})

    async def readyz(request: Request) -> Response:
        if scorer.ready:
            return JSONResponse({"ready": True, "model": scorer.analyzer.model_name})
        return JSONResponse({"ready": False, "error": scorer.error}, status_code=503)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(cfg))

    @asynccontextmanager
    async def lifespan(app: Any):  # type: ignore[no-untyped-def]
        # the model loads in the background: /healthz answers at once, /readyz once warm
        loader = asyncio.create_task(scorer.start())
        app.state.loader = loader
        yield
        await scorer.stop()

    routes = [
        Route("/v1/analyze", analyze, methods=["POST"]),
        Route("/v1/analyze/batch", analyze_batch, methods=["POST"]),
        Route("/v1/threads/analyze", threads_analyze, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 404)
        return _err(code, "not_found" if code == 404 else "method_not_allowed", f"{request.method} {request.url.path}: {'no such endpoint' if code == 404 else 'method not allowed'}")

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found})
    app.state.scorer = scorer
    app.state.config = cfg
    return app


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
    )  # fmt: skip
