"""Association rules from the Online Retail baskets: ours (ml.itemsets + ml.association_rules) vs mlxtend.

What is measured
----------------
The Online Retail baskets are built once, before any timing, as a Python list of baskets (a list
of the StockCode strings of each invoice: sales only, no cancellation ``C...`` invoices, quantity
> 0, products only by the warehouse's own rule, the dbt seed ``non_product_codes``; the baskets of
``marts.basket_lines``, see ``ingest.online_retail_baskets``). From those same in-memory baskets each
pipeline produces the same rules table: a pandas DataFrame with ``antecedents`` and
``consequents`` as frozensets of StockCodes and ``support``, ``confidence``, ``lift`` columns,
for every frequent itemset of any length and every rule reaching ``--min-confidence``.

* ours: ``pandas.factorize`` of the flattened items, ``mine_itemsets``, ``generate_rules``, then
  the item codes mapped back to StockCodes (imported from the installed package, ``ml.*``);
* mlxtend: ``TransactionEncoder`` (dense one-hot DataFrame, the documented usage), ``fpgrowth``
  and ``association_rules``.

How
---
Each repeat runs both pipelines, alternating which goes first (ours first on even repeats), with a
``gc.collect()`` before each; wall time is ``time.perf_counter`` around the whole pipeline, and
the median over ``--repeats`` is reported with the ratio mlxtend / ours. Peak memory is measured
afterwards in one extra, untimed run of each pipeline under ``tracemalloc`` (numpy and pandas
register their buffers with it): the peak is reset before each run and reported in MiB above the
traced memory at its start. Timed runs are not traced, since tracing slows Python allocation.

The two rules tables of the first repeat are compared: same set of (antecedents, consequents)
and support, confidence and lift equal within 1e-9. The script exits with code 1 when they are
not.

Run: ``python benchmarks/rules_vs_mlxtend.py [--min-support 0.005] [--min-confidence 0] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from itertools import chain
from pathlib import Path

import mlxtend as mlxtend_package
import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

from ingest.online_retail_baskets import purchase_lines
from ml.association_rules import RuleThresholds, generate_rules
from ml.itemsets import mine_itemsets
from orchestration.settings import REPO_ROOT

ONLINE_RETAIL = REPO_ROOT.parent / "shared" / "data" / "uci_online_retail" / "online_retail.parquet"
MEASURES = ["support", "confidence", "lift"]
TOLERANCE = 1e-9


def load_baskets(path: Path) -> list[list[str]]:
    """The StockCodes of each sales invoice."""
    lines = purchase_lines(path)
    return lines.groupby("invoice", sort=False)["product_id"].agg(list).tolist()


def ours(baskets: list[list[str]], min_support: float, min_confidence: float) -> pd.DataFrame:
    lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
    flat = np.fromiter(chain.from_iterable(baskets), dtype=object, count=int(lengths.sum()))
    item, labels = pd.factorize(flat)
    basket = np.repeat(np.arange(len(baskets)), lengths)
    itemsets = mine_itemsets(basket, item, len(baskets), min_support)
    rules = generate_rules(itemsets, RuleThresholds(min_confidence=min_confidence))
    names = labels.tolist()

    cache: dict[tuple, frozenset] = {}  # an itemset is the antecedent of many rules: name it once

    def named(column: pd.Series) -> list[frozenset]:
        out = []
        for codes in column:
            found = cache.get(codes)
            if found is None:
                found = cache[codes] = frozenset([names[i] for i in codes])
            out.append(found)
        return out

    return pd.DataFrame({
        "antecedents": named(rules["antecedent"]),
        "consequents": named(rules["consequent"]),
        **{m: rules[m].to_numpy() for m in MEASURES},
    })


def mlxtend(baskets: list[list[str]], min_support: float, min_confidence: float) -> pd.DataFrame:
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    itemsets = fpgrowth(onehot, min_support=min_support, use_colnames=True)
    rules = association_rules(itemsets, len(onehot), metric="confidence", min_threshold=min_confidence)
    return rules[["antecedents", "consequents", *MEASURES]].reset_index(drop=True)


def compare(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    """Same rules (antecedents, consequents) and measures within TOLERANCE; a one-line verdict."""
    keys_a = dict(zip(zip(a["antecedents"], a["consequents"]), range(len(a))))
    keys_b = dict(zip(zip(b["antecedents"], b["consequents"]), range(len(b))))
    if len(keys_a) != len(a) or len(keys_b) != len(b):
        return False, "a rule appears twice in one table"
    if keys_a.keys() != keys_b.keys():
        return False, (f"{len(a):,} rules vs mlxtend's {len(b):,}: {len(keys_a.keys() - keys_b.keys()):,} only in "
                       f"ours, {len(keys_b.keys() - keys_a.keys()):,} only in mlxtend's")
    order = [keys_b[k] for k in keys_a]
    worst = {m: float(np.abs(a[m].to_numpy(float) - b[m].to_numpy(float)[order]).max(initial=0.0)) for m in MEASURES}
    ok = all(d <= TOLERANCE for d in worst.values())
    detail = ", ".join(f"{m} {d:.1e}" for m, d in worst.items())
    return ok, f"{len(a):,} rules in each; max abs difference: {detail}"


def peak_mib(pipeline, *args) -> float:
    """Peak traced memory of one run of ``pipeline`` above the traced memory at its start, in MiB."""
    gc.collect()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    result = pipeline(*args)
    _, peak = tracemalloc.get_traced_memory()
    del result
    return (peak - start) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-support", type=float, default=0.005)
    parser.add_argument("--min-confidence", type=float, default=0.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ONLINE_RETAIL, help="Online Retail parquet file")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"data file missing: {args.data}", file=sys.stderr)
        return 2
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    baskets = load_baskets(args.data)
    n_lines = sum(map(len, baskets))
    n_items = len({code for basket in baskets for code in basket})
    params = (baskets, args.min_support, args.min_confidence)
    pipelines = {"ours": ours, "mlxtend": mlxtend}

    print(f"Online Retail: {len(baskets):,} baskets, {n_items:,} distinct items, {n_lines:,} lines; "
          f"min support {args.min_support}, min confidence {args.min_confidence}, any itemset length")
    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"mlxtend {mlxtend_package.__version__}; {args.repeats} repeats, order alternating")

    times: dict[str, list[float]] = {name: [] for name in pipelines}
    verdict: tuple[bool, str] | None = None
    for repeat in range(args.repeats):
        order = list(pipelines) if repeat % 2 == 0 else list(reversed(pipelines))
        results = {}
        for name in order:
            gc.collect()
            start = time.perf_counter()
            result = pipelines[name](*params)
            times[name].append(time.perf_counter() - start)
            if repeat == 0:
                results[name] = result
            del result
        if repeat == 0:
            verdict = compare(results["ours"], results["mlxtend"])
            del results
        print(f"  repeat {repeat + 1} ({' then '.join(order)}): "
              + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in pipelines))

    tracemalloc.start()
    try:
        peaks = {name: peak_mib(pipelines[name], *params) for name in pipelines}
    finally:
        tracemalloc.stop()

    median = {name: statistics.median(t) for name, t in times.items()}
    rows = [
        ("ours (ml.itemsets)", f"{median['ours']:.3f}", f"{min(times['ours']):.3f}", f"{max(times['ours']):.3f}",
         f"{peaks['ours']:.1f}"),
        ("mlxtend (fpgrowth)", f"{median['mlxtend']:.3f}", f"{min(times['mlxtend']):.3f}",
         f"{max(times['mlxtend']):.3f}", f"{peaks['mlxtend']:.1f}"),
        ("mlxtend / ours", f"{median['mlxtend'] / median['ours']:.1f}x", "", "",
         f"{peaks['mlxtend'] / peaks['ours']:.1f}x" if peaks["ours"] > 0 else "-"),
    ]
    header = ("pipeline", "median s", "min s", "max s", "peak MiB")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print()
    ok, detail = verdict
    print(f"rules tables equal: {'yes' if ok else 'NO'} ({detail})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
