"""Apache Spark scoring for exports that outgrow one machine: :func:`score`.

The core library never imports pyspark; this module needs ``pip install 'complaint_nlp[spark]'``.

* Messages are analysed with ``mapInArrow``: each Python worker loads one
  :class:`~complaint_nlp.Analyzer` (once, then reused for every batch) and encodes its rows with
  the same code as ``complaint-nlp score`` (:func:`complaint_nlp.output.encode_block`), into the
  typed result columns of :func:`complaint_nlp.schema.result_arrow_schema`.
* Customer history is a global ``groupBy`` pre-pass (count and first 20 row ids per customer).
* Thread state follows ``time_col`` (then the input order) within each thread: the few values
  thread state needs go through ``groupBy(thread).applyInPandas`` and are joined back, so results
  do not depend on how the data is partitioned.
"""

from __future__ import annotations

import json
from typing import Any

from .analyzer import DEFAULT_MAX_CHARS
from .errors import ColumnError, InputError
from .output import CUSTOMER_COLUMNS, RESULT_COLUMNS, THREAD_COLUMNS

__all__ = ["score"]

_P = "_cnlp_"  # prefix of the helper columns (dropped from the result)
_analyzers: dict[tuple[Any, ...], Any] = {}


def _get_analyzer(config: tuple[Any, ...]) -> Any:
    """One analyzer per Python worker process and configuration, loaded on first use."""
    an = _analyzers.get(config)
    if an is None:
        from .analyzer import Analyzer

        model, no_model, lexicon, extend, max_chars, spans, demands, ctypes, playbook, advice = config
        an = Analyzer.load(model, lexicon=lexicon, extend_lexicon=extend, max_chars=max_chars, model=not no_model, evidence_spans=spans, demands=demands, customer_types=ctypes, playbook=playbook, advice=advice)
        _analyzers[config] = an
    return an


def _hidden_fields() -> list[tuple[str, Any]]:
    import pyarrow as pa

    return [(_P + "ok", pa.bool_()), (_P + "counted", pa.int64()), (_P + "mlevel", pa.string()), (_P + "heat", pa.float64()), (_P + "demands", pa.string()), (_P + "tscores", pa.list_(pa.float64())), (_P + "traits", pa.list_(pa.string()))]


def _analyse_partition(config: tuple[Any, ...], text_index: int, result_names: tuple[str, ...]) -> Any:
    """The function ``mapInArrow`` runs on each partition: input batch → input + result +
    helper columns."""

    def run(batches: Any) -> Any:
        import pyarrow as pa

        from .output import BlockSpec, encode_block

        an = _get_analyzer(config)
        spec = None
        for b in batches:
            if b.num_rows == 0:
                continue
            if spec is None:
                spec = BlockSpec("parquet", tuple(b.schema.names), text_index, result_names, arrow_types=tuple(f.type for f in b.schema), want_traits=True)
            cols = [c.to_pylist() for c in b.columns]
            rows = [list(r) for r in zip(*cols)]
            block = encode_block(an, spec, rows, [None] * len(rows))
            out = block.batch
            arrays = list(out.columns)
            fields = list(out.schema)
            hidden = _hidden_fields()
            th = block.thread
            values = [[t[0] for t in th], [t[1] for t in th], [t[2] for t in th], [t[3] for t in th], [json.dumps(t[4], ensure_ascii=False) for t in th], [list(t[5]) for t in th], [sorted(x) for x in block.traits]]
            for (name, typ), vals in zip(hidden, values):
                arrays.append(pa.array(vals, type=typ))
                fields.append(pa.field(name, typ))
            yield pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))

    return run


def _thread_group(time_col: str | None, config: tuple[Any, ...]) -> Any:
    """The function ``applyInPandas`` runs on each thread: thread columns in message order."""

    def run(pdf: Any) -> Any:
        import pandas as pd

        from .threads import ThreadState

        keys = ([time_col] if time_col else []) + [_P + "order"]
        pdf = pdf.sort_values(keys, kind="stable")
        st = ThreadState(type_rules=_get_analyzer(config).customer_types)
        out = []
        for ok, counted, level, h, dem, ts in zip(pdf[_P + "ok"], pdf[_P + "counted"], pdf[_P + "mlevel"], pdf[_P + "heat"], pdf[_P + "demands"], pdf[_P + "tscores"]):
            demands = tuple(tuple(d) for d in json.loads(dem)) if isinstance(dem, str) else ()
            out.append(st.update_values(bool(ok), int(counted), None if pd.isna(level) else level, float(h), demands, tuple(ts) if ts is not None else ()))
        res = pd.DataFrame(out, columns=THREAD_COLUMNS)
        res.insert(0, _P + "order", pdf[_P + "order"].to_numpy())
        return res

    return run


def score(
    df: Any,
    *,
    text_col: str,
    id_col: str | None = None,
    thread_col: str | None = None,
    customer_col: str | None = None,
    time_col: str | None = None,
    model: str | None = None,
    no_model: bool = False,
    lexicon: str | None = None,
    extend_lexicon: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    evidence_spans: int = 3,
    demands: str | None = None,
    customer_types: str | None = None,
    playbook: str | None = None,
    advice: bool = True,
) -> Any:
    """Score a Spark DataFrame; returns a Spark DataFrame with the typed result columns.

    Args:
        df: input DataFrame; every column is kept.
        text_col: message text column.
        id_col: row id column, listed in ``customer_history.rows`` (else the 1-based position of
            the row in ``df``).
        thread_col: ticket id column: adds thread columns computed in ``time_col`` order (then the
            input order); a blank id is a thread of its own.
        customer_col: customer id column: adds ``customer_complaints``, ``customer_history``
            and ``professional_complainant_with_history`` from a global pre-pass.
        time_col: orders messages within a thread (any sortable column).
        model, no_model, lexicon, extend_lexicon, max_chars, evidence_spans, demands,
            customer_types, playbook, advice: as
            :meth:`complaint_nlp.Analyzer.load`; a model directory must be readable from every
            executor (shared storage), the shipped model travels inside the wheel.

    The result has the input columns, then the result columns of
    :func:`complaint_nlp.schema.result_arrow_schema` (thread and customer columns when asked);
    an input column with a result column's name keeps it and ours gets a ``_cnlp`` suffix. The
    input order is the order of ``df``'s partitions as given; pass ``time_col`` when that order
    is not the message order.
    """
    from pyspark.sql import Window  # noqa: F401  (pyspark must be importable)
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from .batch import _result_names
    from .schema import result_arrow_schema

    cols = list(df.columns)
    for what, col in (("text", text_col), ("id", id_col), ("thread", thread_col), ("customer", customer_col), ("time", time_col)):
        if col is not None and col not in cols:
            from .batch import did_you_mean

            raise ColumnError(f"{what} column {col!r} not found{did_you_mean(col, cols)}; columns are {cols}")
    if any(c.startswith(_P) for c in cols):
        raise InputError(f"input columns must not start with {_P!r} (reserved for helper columns)")
    if max_chars < 1 or evidence_spans < 0:
        raise InputError("max_chars must be at least 1 and evidence_spans at least 0")
    config = (model, no_model, lexicon, extend_lexicon, max_chars, evidence_spans, demands, customer_types, playbook, advice)
    extra = list(RESULT_COLUMNS) + (THREAD_COLUMNS if thread_col else []) + (CUSTOMER_COLUMNS if customer_col else [])
    names = _result_names(cols, extra)
    result_names = tuple(names[c] for c in RESULT_COLUMNS)

    tagged = df.select(*[F.col(f"`{c}`") for c in cols], F.monotonically_increasing_id().alias(_P + "order"))
    order_cols = ([time_col] if time_col else []) + [_P + "order"]

    # the analysis: mapInArrow over the input columns (the order column rides along)
    import pyarrow as pa

    in_arrow = [pa.field(f.name, _spark_to_arrow(f.dataType)) for f in tagged.schema.fields]
    res_fields = [pa.field(names[f.name], f.type) for f in result_arrow_schema()]
    hidden = [pa.field(n, t) for n, t in _hidden_fields()]
    out_schema = from_arrow_schema(pa.schema(in_arrow + res_fields + hidden))
    scored = tagged.mapInArrow(_analyse_partition(config, cols.index(text_col), result_names), out_schema)

    if thread_col:
        blank = F.col(f"`{thread_col}`").isNull() | (F.trim(F.col(f"`{thread_col}`").cast("string")) == "")
        tkey = F.when(blank, F.concat(F.lit("\u0000blank:"), F.col(_P + "order").cast("string"))).otherwise(F.col(f"`{thread_col}`").cast("string"))
        narrow = scored.select(tkey.alias(_P + "tkey"), *[F.col(f"`{c}`") for c in order_cols], F.col(_P + "ok"), F.col(_P + "counted"), F.col(_P + "mlevel"), F.col(_P + "heat"), F.col(_P + "demands"), F.col(_P + "tscores"))
        from .schema import THREAD_FIELDS, _arrow_type

        th_schema = from_arrow_schema(pa.schema([pa.field(_P + "order", pa.int64())] + [pa.field(n, _arrow_type(t)) for n, t, _ in THREAD_FIELDS]))
        threads = narrow.groupBy(_P + "tkey").applyInPandas(_thread_group(time_col, config), th_schema)
        threads = threads.select(F.col(_P + "order"), *[F.col(c).alias(names[c]) for c in THREAD_COLUMNS])
        scored = scored.join(threads, on=_P + "order", how="left")

    if customer_col:
        ckey = F.col(f"`{customer_col}`").cast("string")
        cblank = F.col(f"`{customer_col}`").isNull() | (F.trim(ckey) == "")
        if id_col:
            rid = F.col(f"`{id_col}`").cast("string")
            base = tagged
        else:
            base = _with_positions(tagged)
            rid = F.col(_P + "pos").cast("string")
        per = (
            base.where(~cblank)
            .groupBy(ckey.alias(_P + "ckey"))
            .agg(
                F.count(F.lit(1)).alias(_P + "n"),
                F.slice(F.array_sort(F.collect_list(F.struct(*[F.col(f"`{c}`") for c in order_cols], rid.alias("rid")))), 1, 20).alias(_P + "first"),
            )
            .select(F.col(_P + "ckey"), F.col(_P + "n"), F.transform(F.col(_P + "first"), lambda x: x["rid"]).alias(_P + "rows"))
        )
        scored = scored.withColumn(_P + "ckey", F.when(cblank, F.lit(None)).otherwise(ckey)).join(per, on=_P + "ckey", how="left")
        n = F.coalesce(F.col(_P + "n"), F.lit(0)).cast("long")
        hist = n >= 3
        codes = F.when(hist, F.array_union(F.col(_P + "traits"), F.array(F.lit("complaint_history")))).otherwise(F.col(_P + "traits"))
        scored = (
            scored.withColumn(names["customer_complaints"], n)
            .withColumn(names["customer_history"], F.when(hist, F.struct(n.alias("complaints"), F.col(_P + "rows").alias("rows"))))
            .withColumn(names["professional_complainant_with_history"], F.size(codes) >= 3)
        )

    ordered = [F.col(f"`{c}`") for c in cols] + [F.col(f"`{names[c]}`") for c in extra]
    return scored.orderBy(_P + "order").select(*ordered)


def _with_positions(tagged: Any) -> Any:
    """Adds ``_cnlp_pos``: the 1-based position of each row in the DataFrame's order, from one
    small job that counts the rows of each partition (no global sort, no single partition)."""
    from pyspark.sql import functions as F

    with_pid = tagged.withColumn(_P + "pid", F.spark_partition_id())
    counts = sorted((r[0], r[1]) for r in with_pid.groupBy(_P + "pid").count().collect())
    offsets: list[Any] = []
    total = 0
    for pid, c in counts:
        offsets += [F.lit(pid), F.lit(total)]
        total += c
    if not offsets:
        return with_pid.withColumn(_P + "pos", F.lit(None).cast("long"))
    start = F.element_at(F.create_map(*offsets), F.col(_P + "pid"))
    # monotonically_increasing_id puts the partition in the upper 31 bits, the row in the lower 33
    within = F.col(_P + "order") - F.shiftleft(F.col(_P + "pid").cast("long"), 33)
    return with_pid.withColumn(_P + "pos", start + within + 1)


def _spark_to_arrow(dt: Any) -> Any:
    from pyspark.sql.pandas.types import to_arrow_type

    return to_arrow_type(dt)


def _get_or_create(builder: Any, *, local: bool) -> Any:
    """``builder.getOrCreate()``; on a local master whose worker interpreter nobody chose, the
    workers run this interpreter (the one that has complaint_nlp and pyarrow), not the first
    ``python3`` on PATH: a venv's ``complaint-nlp`` started without activating the venv works.

    PySpark reads ``PYSPARK_PYTHON`` when the context starts, so it is set for that call only and
    the caller's environment is restored."""
    import os
    import sys

    if not local or os.environ.get("PYSPARK_PYTHON") or not sys.executable:
        return builder.getOrCreate()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        return builder.getOrCreate()
    finally:
        del os.environ["PYSPARK_PYTHON"]


def score_path(
    input_path: str,
    output_path: str,
    *,
    text_col: str,
    master: str | None = None,
    encoding: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """``complaint-nlp score --engine spark``: read a Parquet/CSV/JSON Lines file or folder,
    :func:`score` it, write a Parquet or CSV folder (CSV holds nested results as JSON text).

    Returns a small summary (rows, output, seconds)."""
    import time

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from .io import file_format

    fmt_in, fmt_out = file_format(input_path), file_format(output_path)
    if fmt_in not in ("parquet", "csv", "tsv", "jsonl", "json"):
        raise InputError(f"--engine spark reads .parquet, .csv, .tsv or .jsonl files or folders, not {input_path!r}")
    if fmt_out not in ("parquet", "csv"):
        raise InputError(f"--engine spark writes a .parquet or .csv folder, not {output_path!r}")
    builder = SparkSession.builder.appName("complaint-nlp score")
    if master:
        builder = builder.master(master)
    spark = _get_or_create(builder, local=bool(master) and master.startswith("local"))
    t0 = time.perf_counter()
    reader = spark.read
    if fmt_in == "parquet":
        df = reader.parquet(input_path)
    elif fmt_in in ("csv", "tsv"):
        df = reader.options(header=True, multiLine=True, escape='"', sep="\t" if fmt_in == "tsv" else ",", encoding=encoding or "UTF-8").csv(input_path)
    else:
        df = reader.json(input_path, encoding=encoding or "UTF-8")
    out = score(df, text_col=text_col, **kwargs)
    if fmt_out == "csv":
        out = out.select(*[F.to_json(F.col(f"`{f.name}`")).alias(f.name) if f.dataType.typeName() in ("array", "map", "struct") else F.col(f"`{f.name}`") for f in out.schema.fields])
        out.write.mode("overwrite").options(header=True, escape='"').csv(output_path)
    else:
        out.write.mode("overwrite").parquet(output_path)
    rows = spark.read.parquet(output_path).count() if fmt_out == "parquet" else None
    return {"input": input_path, "output": output_path, "rows": rows, "seconds": round(time.perf_counter() - t0, 3), "engine": "spark", "master": spark.sparkContext.master}
