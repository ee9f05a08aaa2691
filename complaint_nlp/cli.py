"""The ``complaint-nlp`` command line.

Exit codes: 0 ok, 1 runtime error (one line on stderr), 2 usage error, 128+N when stopped by
signal N (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import threading
from typing import Any, Sequence

from ._version import __version__

EPILOG = """examples:
  complaint-nlp analyze "再不退款我就打12315投诉你们！"
  echo "車子剎車失靈，差點出事" | complaint-nlp analyze
  complaint-nlp score data/samples/messages_gbk.csv -o scored.csv --text-col 内容 --id-col 工单号
  complaint-nlp report scored.csv -o report.html --text-col 内容 --by 渠道
  complaint-nlp playbook time_overrun --level normal --customer-type persistent
  complaint-nlp train my_labeled.csv --text-col text --category-col category --emotion-col emotion -o models/mine
  complaint-nlp evaluate my_test.csv --model models/mine --plot
"""


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so ``finally`` blocks clean up (partial
    files removed, workers stopped) exactly as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (``complaint-nlp: error: …``), like every other error."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"complaint-nlp: error: {self.prog.split(' ', 1)[-1] + ': ' if ' ' in self.prog else ''}{message} (see {self.prog} --help)\n")


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


class _StopSignals:
    """Turn SIGTERM/SIGHUP into :class:`Interrupted` for the duration of a command (main thread
    only; the previous handlers come back afterwards).

    A signal the command was started with ignored stays ignored: ``nohup`` ignores SIGHUP so that
    a long run survives the terminal closing, and a shell starts background jobs with SIGINT
    ignored (Python keeps that, so Ctrl-C in the terminal does not reach them)."""

    def __enter__(self) -> "_StopSignals":
        self.old: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    sig = getattr(signal, name)
                    if signal.getsignal(sig) != signal.SIG_IGN:
                        self.old[sig] = signal.signal(sig, _raise_interrupted)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self.old.items():
            signal.signal(sig, old)


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="DIR", help="model directory (default: the shipped model)")
    p.add_argument("--no-model", action="store_true", help="rules only: no category/emotion")
    p.add_argument("--lexicon", metavar="TOML", help="rule lexicon file replacing the shipped one")
    p.add_argument("--extend-lexicon", metavar="TOML", help="rule lexicon file added to the shipped one")
    p.add_argument("--max-chars", type=int, default=None, help="analysis window in characters (default 20000)")
    p.add_argument("--evidence-spans", type=int, default=3, metavar="N", help="category-evidence spans per message (default 3; 0 leaves them out and saves time)")
    p.add_argument("--demands", metavar="TOML", help="demand rules replacing the shipped ones (complaint_nlp/data/demands.toml)")
    p.add_argument("--customer-types", metavar="TOML", help="customer-type rules replacing the shipped ones (complaint_nlp/data/customer_types.toml)")
    p.add_argument("--playbook", metavar="TOML", help="service-recovery playbook replacing the shipped one (complaint_nlp/data/playbook.toml)")
    p.add_argument("--no-advice", action="store_true", help="leave demands, customer type and playbook out (saves about 0.06 ms a message)")


def _model_args(args: argparse.Namespace) -> dict[str, Any]:
    """The model options every analysing command shares (_add_model_args), checked, as
    Analyzer.load keywords (plus ``model``, the directory or None)."""
    from .analyzer import DEFAULT_MAX_CHARS

    if args.lexicon and args.extend_lexicon:
        raise UsageError("use --lexicon or --extend-lexicon, not both")
    if args.model and args.no_model:
        raise UsageError("use --model or --no-model, not both")
    if args.evidence_spans < 0:
        raise UsageError("--evidence-spans must be 0 or more")
    if args.max_chars is not None and args.max_chars < 1:
        raise UsageError(f"--max-chars must be at least 1 (got {args.max_chars}); leave it out for the default {DEFAULT_MAX_CHARS}")
    return {
        "model": args.model,
        "no_model": args.no_model,
        "lexicon": args.lexicon or args.extend_lexicon,
        "extend_lexicon": bool(args.extend_lexicon),
        "max_chars": DEFAULT_MAX_CHARS if args.max_chars is None else args.max_chars,
        "evidence_spans": args.evidence_spans,
        "demands": args.demands,
        "customer_types": args.customer_types,
        "playbook": args.playbook,
        "advice": not args.no_advice,
    }


def _analyzer(args: argparse.Namespace) -> Any:
    from .analyzer import Analyzer

    m = _model_args(args)
    return Analyzer.load(m.pop("model"), model=not m.pop("no_model"), **m)


def cmd_analyze(args: argparse.Namespace) -> int:
    if args.text:
        texts = [" ".join(args.text)]
    else:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("give a text, or pipe one on standard input")
        data = sys.stdin.buffer.read()
        from .io import decode_bytes, split_lines

        raw = decode_bytes(data)
        # one result per input line, blank lines included; lines end at LF, CRLF or CR only
        texts = split_lines(raw) if args.lines else [raw]
    an = _analyzer(args)
    results = an.analyze_many(texts)
    indent = None if args.compact else 2
    for r in results:
        sys.stdout.write(json.dumps(r.to_dict_labels(args.labels), ensure_ascii=False, indent=indent) + "\n")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    if args.encoding:
        import codecs

        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise UsageError(f"--encoding {args.encoding!r} is not an encoding Python knows (try utf-8, gb18030, big5, utf-16)") from None
    if args.chunksize < 1 or args.jobs < 1:
        raise UsageError("--chunksize and --jobs must be at least 1")
    if not 0.0 <= args.max_failed_share <= 1.0:
        raise UsageError("--max-failed-share must be between 0 and 1")
    if args.engine == "spark":
        return _score_spark(args)
    if args.master or (args.time_col and not args.report):
        raise UsageError("--master goes with --engine spark, --time-col with --engine spark or --report")
    import shutil
    import tempfile

    if args.report:
        _report_path(args.report)
        if args.output == "-":
            raise UsageError("--report needs an output file, not -")
    elif args.by:
        raise UsageError("--by goes with --report")
    an = _analyzer(args)
    spooled: list[str] = []
    src, dst = args.input, args.output
    try:
        if args.input == "-":  # stdin: spooled to a temporary file (the reader samples and re-reads)
            if sys.stdin is None:
                raise UsageError("INPUT is - but there is no standard input")
            fd, src = tempfile.mkstemp(prefix="complaint-nlp-in-", suffix="." + args.input_format)
            spooled.append(src)
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
        if args.output == "-":  # stdout: written whole at the end, so a failed run prints no rows
            fd, dst = tempfile.mkstemp(prefix="complaint-nlp-out-", suffix="." + args.output_format)
            os.close(fd)
            os.unlink(dst)
            spooled.append(dst)
        summary = _score_paths(args, an, src, dst)
        summary["input"], summary["output"] = args.input, args.output
        if args.output == "-":
            with open(dst, "rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer, 1 << 20)
            sys.stdout.flush()
    finally:
        for p in spooled:
            try:
                os.unlink(p)
            except OSError:
                pass
    from .batch import format_summary

    if not args.quiet:
        sys.stderr.write(format_summary(summary) + "\n")
    if args.report:
        from .report import write_report

        rep = write_report(
            args.output, args.report, text_col=args.text_col, time_col=args.time_col, by=args.by,
            customer_col=args.customer_col, id_col=args.id_col,
        )
        if not args.quiet:
            sys.stderr.write(f"report of {rep['rows']:,} rows → {rep['output']}\n")
    return 0  # warnings reached stderr through the complaint_nlp logger, one line each


def _score_paths(args: argparse.Namespace, an: Any, src: str, dst: str) -> dict[str, Any]:
    from .batch import score_file

    return score_file(
        src,
        dst,
        analyzer=an,
        text_col=args.text_col,
        id_col=args.id_col,
        thread_col=args.thread_col,
        customer_col=args.customer_col,
        encoding=args.encoding,
        chunksize=args.chunksize,
        jobs=args.jobs,
        sheet=args.sheet,
        header_row=args.header_row,
        progress=None if not args.no_progress else False,
        summary_path=args.summary,
        formula_guard=not args.no_formula_guard,
        max_failed_share=args.max_failed_share,
        labels=args.labels,
    )


def _score_spark(args: argparse.Namespace) -> int:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UsageError("--engine spark needs pyspark: pip install 'complaint_nlp[spark]'") from None
    from .spark import score_path

    summary = score_path(
        args.input,
        args.output,
        text_col=args.text_col,
        master=args.master,
        encoding=args.encoding,
        id_col=args.id_col,
        thread_col=args.thread_col,
        customer_col=args.customer_col,
        time_col=args.time_col,
        **_model_args(args),
    )
    rows = "" if summary["rows"] is None else f"{summary['rows']} rows "
    sys.stderr.write(f"scored {rows}→ {summary['output']} with Spark ({summary['master']}) in {summary['seconds']}s\n")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .serve import ServeConfig, run
        import orjson  # noqa: F401
        import uvicorn  # noqa: F401
        import prometheus_client  # noqa: F401
    except ImportError:
        raise UsageError("serve needs uvicorn, prometheus-client and orjson: pip install 'complaint_nlp[serve]'") from None
    model_args = _model_args(args)
    for name in ("max_batch", "max_body_bytes", "max_micro_batch", "workers"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.batch_wait_ms < 0 or args.timeout <= 0 or not 0 <= args.port <= 65535:
        raise UsageError("--batch-wait-ms must be 0 or more, --timeout above 0, --port 0-65535")
    cfg = ServeConfig(
        **model_args, max_batch=args.max_batch, max_body_bytes=args.max_body_bytes,
        batch_wait_ms=args.batch_wait_ms, micro_batch=not args.no_micro_batch, max_micro_batch=args.max_micro_batch, timeout_s=args.timeout,
        log_text=args.log_text,
    )  # fmt: skip
    if args.keep_alive < 1:
        raise UsageError("--keep-alive must be at least 1 second")
    run(cfg, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level, keep_alive=args.keep_alive)
    return 0


def _report_path(path: str) -> None:
    if not path.lower().endswith((".html", ".htm")):
        raise UsageError(f"the report is an HTML page: name it .html, not {path!r}")


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    _report_path(args.output)
    summary = write_report(
        args.scored, args.output, text_col=args.text_col, time_col=args.time_col, by=args.by,
        customer_col=args.customer_col, id_col=args.id_col, encoding=args.encoding, title=args.title,
    )
    if not args.quiet:
        sys.stderr.write(f"report of {summary['rows']:,} rows → {summary['output']} ({summary['bytes'] / 1024:,.0f} KB)\n")
    return 0


def cmd_playbook(args: argparse.Namespace) -> int:
    from .customer_type import CustomerTypeRules
    from .playbook import PlaybookRules, playbook_for

    rules = PlaybookRules.load(args.playbook)
    if not args.scenario:
        rows = [{"scenario": sc.code, "signs": sc.signs, "budget": [sc.budget_min, sc.budget_max] if sc.budget_max else None, "owner": sc.owner} for sc in rules.spec.scenarios]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    handling: tuple[str, ...] = ()
    if args.customer_type:
        handling = CustomerTypeRules.load(args.customer_types).handling[args.customer_type]
    try:
        pb = playbook_for(args.scenario, args.level, handling, rules)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    sys.stdout.write(json.dumps(pb.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .train import train_from_file

    train_from_file(
        args.data,
        args.output,
        text_col=args.text_col,
        category_col=args.category_col,
        emotion_col=args.emotion_col,
        split_col=args.split_col,
        allow_new_labels=args.allow_new_labels,
        estimator=_estimator_arg(args.estimator),
        encoding=args.encoding,
        name=args.name,
        command=shlex.join(["complaint-nlp", *args.argv]),
        log=sys.stderr,
        tokenizer=args.tokenizer,
        placeholders=not args.no_placeholders,
        min_df=args.min_df,
        weight_by=args.weight_by,
        weight_power=args.weight_power,
    )
    return 0


def _unit_float(value: str) -> float:
    """A number in 0..1 (argparse type)."""
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in 0..1, got {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in 0..1, got {value!r}")
    return v


def _estimator_arg(value: str) -> str | dict[str, str]:
    """``auto``, one estimator name, or ``category=svc,emotion=logreg`` (one per head)."""
    from .classifier import ESTIMATORS

    if "=" not in value:
        if value not in ("auto", *ESTIMATORS):
            raise UsageError(f"--estimator {value!r}: choose auto, one of {', '.join(ESTIMATORS)}, or HEAD=NAME,HEAD=NAME")
        return value
    out = {}
    for part in value.split(","):
        head, _, name = part.partition("=")
        head, name = head.strip(), name.strip()
        if head not in ("category", "emotion") or name not in ESTIMATORS:
            raise UsageError(f"--estimator {part!r}: expected category=NAME or emotion=NAME with NAME one of {', '.join(ESTIMATORS)}")
        out[head] = name
    return out


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .train import evaluate_file

    report = evaluate_file(
        args.data,
        model=args.model,
        text_col=args.text_col,
        category_col=args.category_col,
        emotion_col=args.emotion_col,
        split=args.split,
        encoding=args.encoding,
        json_path=args.json,
        plot_dir=args.plot_dir if args.plot else None,
    )
    sys.stdout.write(report["text"] + "\n")
    return 0


class _LineFormatter(logging.Formatter):
    """``complaint-nlp: warning: …``: the one-line shape of every message the CLI prints."""

    def format(self, record: logging.LogRecord) -> str:
        return f"complaint-nlp: {record.levelname.lower()}: {' '.join(record.getMessage().split())}"


def _configure_logging(verbose: int, quiet: bool) -> logging.Handler:
    """The complaint_nlp logger to stderr: warnings by default, -v info, -vv debug, -q errors only."""
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose == 1 else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    lib = logging.getLogger("complaint_nlp")
    lib.addHandler(handler)
    lib.setLevel(level)
    return handler


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="complaint-nlp",
        description="Chinese customer-complaint analysis: category, emotion, escalation signals with evidence, professional-complainant traits and escalation level.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"complaint-nlp {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more messages on stderr (-v info, -vv debug)")
    p.add_argument("-q", "--quiet", action="store_true", help="errors only: no summary, no warnings")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse one text (argument or stdin) and print JSON", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("text", nargs="*", help="the message; read from stdin when absent")
    a.add_argument("--lines", action="store_true", help="stdin holds one message per line")
    a.add_argument("--compact", action="store_true", help="one JSON object per line")
    a.add_argument("--labels", choices=["code", "zh", "both"], default="code", help="labels as codes (default), Chinese names in their place (售后推诿, 紧急), or codes plus a `names` member")
    _add_model_args(a)
    a.set_defaults(func=cmd_analyze)

    s = sub.add_parser("score", help="score an exported file (CSV/Excel/JSONL/Parquet)", formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("input", help="input file: .csv .tsv .xlsx .jsonl .json .parquet, or - for standard input")
    s.add_argument("-o", "--output", required=True, help="output file, format from its extension; - for standard output")
    s.add_argument("--input-format", default="csv", choices=["csv", "tsv", "jsonl", "json", "xlsx", "parquet"], help="format of standard input (INPUT -; default csv)")
    s.add_argument("--output-format", default="csv", choices=["csv", "tsv", "jsonl", "xlsx", "parquet"], help="format of standard output (-o -; default csv)")
    s.add_argument("--text-col", required=True, help="column holding the message text")
    s.add_argument("--id-col", help="id column (kept; checked for presence)")
    s.add_argument("--thread-col", help="ticket/thread id column: adds thread-level columns")
    s.add_argument("--customer-col", help="customer id column: adds complaint-history columns")
    s.add_argument("--encoding", help="input encoding, a Python codec name (default: detect UTF-8, UTF-8/UTF-16 with BOM, GB18030/GBK, Big5 from samples of the whole file)")
    s.add_argument("--sheet", help="Excel sheet name or index (default: first)")
    s.add_argument("--header-row", type=int, default=None, help="0-based header row of an Excel sheet (default: detect)")
    s.add_argument("--chunksize", type=int, default=20000, help="rows per chunk (default 20000)")
    s.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    s.add_argument("--summary", help="also write the summary as JSON to this file")
    s.add_argument("--labels", choices=["code", "zh"], default="code", help="category, category2, emotion and level as codes (default) or Chinese names (售后推诿, 紧急)")
    s.add_argument("--engine", choices=["local", "spark"], default="local", help="local (this machine, --jobs processes) or spark (Apache Spark: INPUT and OUTPUT are Parquet/CSV files or folders; needs complaint_nlp[spark])")
    s.add_argument("--master", help="Spark master URL for --engine spark (default: spark-submit's or local[*])")
    s.add_argument("--time-col", help="--engine spark: orders messages within a thread (default: input order); --report: the date/time column of its trend chart")
    s.add_argument("--no-formula-guard", action="store_true", help="write CSV/TSV cells raw, even those a spreadsheet would run as a formula (default: prefix them with ')")
    s.add_argument("--max-failed-share", type=float, default=0.05, metavar="SHARE", help="exit 1 without writing OUTPUT when more than this share of rows failed inside the analyser (default 0.05)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.add_argument("--report", metavar="HTML", help="also write the HTML report of the scored file (see `complaint-nlp report`)")
    s.add_argument("--by", action="append", default=[], metavar="COL", help="--report: a breakdown by this input column (repeatable)")
    _add_model_args(s)
    s.set_defaults(func=cmd_score)

    r = sub.add_parser("report", help="a self-contained HTML page from a scored export: levels, categories, act-now table, evidence, demands, trends")
    r.add_argument("scored", help="a file written by `complaint-nlp score` (.csv .tsv .jsonl .parquet .xlsx)")
    r.add_argument("-o", "--output", required=True, help="the page to write (.html)")
    r.add_argument("--text-col", help="message text column (default: one named text, 内容, content, message…)")
    r.add_argument("--time-col", help="date/time column: adds counts per day (per week over 120 days)")
    r.add_argument("--by", action="append", default=[], metavar="COL", help="a breakdown by this column (dealer, region, brand, channel…); repeatable")
    r.add_argument("--customer-col", help="customer id column: adds the repeat customers")
    r.add_argument("--id-col", help="row id column shown in the tables (default: the row number)")
    r.add_argument("--encoding", help="input encoding (default: detect)")
    r.add_argument("--title", default="投诉分析报告", help="page title")
    r.set_defaults(func=cmd_report)

    v = sub.add_parser("serve", help="HTTP service for ticket ingestion (needs complaint_nlp[serve])", formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; 0.0.0.0 for all interfaces)")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--workers", type=int, default=1, help="worker processes, each with its own model (default 1)")
    v.add_argument("--max-batch", type=int, default=256, help="texts per batch request and messages per thread (default 256)")
    v.add_argument("--max-body-bytes", type=int, default=1 << 20, help="largest request body (default 1 MiB)")
    v.add_argument("--batch-wait-ms", type=float, default=2.0, help="how long a forming micro-batch waits for requests still being read (default 2)")
    v.add_argument("--max-micro-batch", type=int, default=64, help="single requests per micro-batch (default 64)")
    v.add_argument("--no-micro-batch", action="store_true", help="score every single request on its own")
    v.add_argument("--timeout", type=float, default=30.0, help="seconds before a request is answered 503 (default 30)")
    v.add_argument("--keep-alive", type=int, default=75, help="seconds an idle connection stays open (default 75: longer than load balancers' 60)")
    v.add_argument("--log-text", action="store_true", help="put message text in the request log (off: it can be personal data)")
    v.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    _add_model_args(v)
    v.set_defaults(func=cmd_serve)

    b = sub.add_parser("playbook", help="print the service-recovery plan of a scenario (no SCENARIO: list them)")
    b.add_argument("scenario", nargs="?", help="scenario code: safety, major_complaint, quality_repair, time_overrun, staff_attitude, expectation_gap, general")
    b.add_argument("--level", choices=["minor", "normal", "serious", "urgent"], help="escalation level (default: the scenario's floor); sets the apology and response target")
    b.add_argument("--customer-type", choices=["dominant", "analytical", "social", "persistent"], help="add the handling guidance of this customer type")
    b.add_argument("--playbook", metavar="TOML", help="playbook file replacing the shipped one")
    b.add_argument("--customer-types", metavar="TOML", help="customer-type file replacing the shipped one")
    b.set_defaults(func=cmd_playbook)

    t = sub.add_parser("train", help="train a model on your own labeled export")
    t.add_argument("data", help="labeled file (.csv .xlsx .jsonl .parquet)")
    t.add_argument("-o", "--output", required=True, help="model directory to write")
    t.add_argument("--text-col", default="text")
    t.add_argument("--category-col", default=None, help="category label column (TAXONOMY §1 codes)")
    t.add_argument("--emotion-col", default=None, help="emotion label column (TAXONOMY §2 codes)")
    t.add_argument("--split-col", default=None, help="train only on rows where this column is 'train'")
    t.add_argument("--allow-new-labels", action="store_true", help="accept label codes outside the TAXONOMY")
    t.add_argument("--estimator", default="auto", help="linear model: auto (the best by grouped cross-validation), logreg, svc, sgd, cnb, nblr, logreg_nblr, or one per head: category=svc,emotion=logreg")
    t.add_argument("--min-df", type=int, default=2, metavar="N", help="an n-gram is a feature only if at least N training messages contain it (default 2)")
    t.add_argument("--weight-by", metavar="COL", help="weigh training rows so that each value of COL (e.g. channel) gets a total weight proportional to its row count to the power --weight-power; the manifest records it")
    t.add_argument("--weight-power", type=_unit_float, default=0.5, metavar="P", help="with --weight-by: 1 keeps the data's own shares, 0 gives every value the same total weight (default 0.5, square-root shares)")
    t.add_argument("--no-placeholders", action="store_true", help="train on the text as it is, without typed placeholders for @-accounts, brands, links and numbers")
    t.add_argument("--encoding", default=None)
    t.add_argument("--name", default=None, help="model name recorded in the manifest")
    t.add_argument("--tokenizer", default="rjieba", choices=["rjieba", "jieba"], help="word segmenter: rjieba (jieba-rs, default, ~15x faster) or jieba; same tokens")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy, macro-F1, per-class figures and confusion matrix")
    e.add_argument("data", help="labeled file")
    e.add_argument("--model", default=None, help="model directory (default: shipped model)")
    e.add_argument("--text-col", default="text")
    e.add_argument("--category-col", default=None)
    e.add_argument("--emotion-col", default=None)
    e.add_argument("--split", default=None, help="only rows whose 'split' column equals this (e.g. test)")
    e.add_argument("--encoding", default=None)
    e.add_argument("--json", default=None, help="write the report as JSON to this file")
    e.add_argument("--plot", action="store_true", help="also draw confusion matrices as PNG (needs matplotlib)")
    e.add_argument("--plot-dir", default=".", help="where to write the PNGs (default: current directory)")
    e.set_defaults(func=cmd_evaluate)

    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    handler = _configure_logging(args.verbose, args.quiet)
    try:
        with _StopSignals():
            return int(args.func(args))
    except UsageError as exc:
        parser.exit(2, f"complaint-nlp: error: {exc}\n")
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        sys.stderr.write(f"complaint-nlp: interrupted by {signal.Signals(signum).name}; no output was written, an existing one is untouched\n")
        if args.func is cmd_score:
            # the partial file is gone and the workers are stopped; leave without waiting on an
            # executor thread the signal may have interrupted mid-lock (interpreter-exit joins)
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(128 + int(signum))
        return 128 + int(signum)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # runtime errors: one clear line, exit 1
        from .errors import ComplaintNLPError

        if os.environ.get("COMPLAINT_NLP_DEBUG"):
            raise
        if isinstance(exc, KeyError) and exc.args:
            msg = str(exc.args[0])
        elif isinstance(exc, (ComplaintNLPError, FileNotFoundError, ValueError, TypeError, OSError)):
            msg = str(exc)
        else:  # a bug or a missing dependency: still one line, with the kind of error
            msg = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"complaint-nlp: error: {' '.join(msg.split())}\n")
        return 1
    finally:
        lib = logging.getLogger("complaint_nlp")
        lib.removeHandler(handler)  # main() may run again in the same process (tests, notebooks)
        lib.setLevel(logging.NOTSET)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
