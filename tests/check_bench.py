#!/usr/bin/env python3
"""Smoke test of tessel-bench (ctest bench_smoke): every suite on tiny
cases, each of which must exit 0 and write a JSON report whose rows carry
what issue 13 asks of them. Times are never judged, only their shape.

  check_bench.py TOOL OUTDIR [DEVICE]

Every row: suite, case (unique within its suite and device), device,
median_s > 0, repeats, spread {min_s <= q1_s <= median <= q3_s <= max_s}
when repeats > 0, and the same for the baseline when it has one; gflops
and gbps a positive number or null. gemm rows name m, n, k, dtype, trans
and path ("own" rows with --own on cpu); norm rows carry GB/s of both
sides and memcpy_gbps, no gflops; attention rows both paths' peak memory,
the GEMM roof (gemm_n, gemm_gflops, roof_gflops, roof_ratio) and, for
16-bit rows, f32_time_ratio.
"""
import json
import math
import os
import shlex
import subprocess
import sys


def fail(msg):
    print("check_bench: FAIL: " + msg)
    sys.exit(1)


def run_suite(tool, outdir, device, suite, args):
    path = os.path.join(outdir, "bench-%s.json" % suite)
    if os.path.exists(path):
        os.remove(path)
    cmd = [tool, suite, "--device", device, "--json", path] + args
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8",
                       errors="replace", timeout=900)
    print(p.stdout, flush=True)
    if p.returncode != 0:
        fail("%s exited %d" % (suite, p.returncode))
    with open(path, encoding="utf-8") as fp:
        rows = json.load(fp)["results"]
    if not rows:
        fail("%s: no rows" % suite)
    return rows


def positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def check_spread(where, sp, median):
    if not isinstance(sp, dict):
        fail("%s: spread %r is not an object" % (where, sp))
    keys = ["min_s", "q1_s", "q3_s", "max_s"]
    if any(not positive(sp.get(k)) for k in keys):
        fail("%s: spread %r lacks positive %s" % (where, sp, keys))
    tol = 1e-12
    if not (sp["min_s"] <= sp["q1_s"] + tol and sp["q1_s"] <= median + tol and
            median <= sp["q3_s"] + tol and sp["q3_s"] <= sp["max_s"] + tol):
        fail("%s: spread %r out of order around median %g" % (where, sp, median))


def check_row(r, device):
    where = "%s/%s" % (r.get("suite"), r.get("case"))
    for k in ["suite", "case", "device", "median_s", "gflops", "gbps", "repeats", "spread",
              "baseline", "baseline_median_s", "ratio", "pair_ratio", "baseline_gbps",
              "baseline_spread"]:
        if k not in r:
            fail("%s: no %s" % (where, k))
    if r["device"] != device:
        fail("%s: device %r" % (where, r["device"]))
    if not positive(r["median_s"]):
        fail("%s: median_s %r" % (where, r["median_s"]))
    for k in ["gflops", "gbps", "baseline_gbps"]:
        if r[k] is not None and not positive(r[k]):
            fail("%s: %s %r is neither positive nor null" % (where, k, r[k]))
    if not isinstance(r["repeats"], int) or r["repeats"] < 0:
        fail("%s: repeats %r" % (where, r["repeats"]))
    if r["repeats"] > 0:
        check_spread(where, r["spread"], r["median_s"])
    elif r["spread"] is not None:
        fail("%s: spread without repeats" % where)
    if r["baseline"] is None:
        if any(r[k] is not None
               for k in ["baseline_median_s", "ratio", "pair_ratio", "baseline_spread"]):
            fail("%s: baseline fields without a baseline" % where)
    else:
        if not positive(r["baseline_median_s"]) or not positive(r["ratio"]):
            fail("%s: baseline %r without its times" % (where, r["baseline"]))
        if abs(r["ratio"] - r["baseline_median_s"] / r["median_s"]) > 1e-4 * r["ratio"]:
            fail("%s: ratio %r != baseline / median" % (where, r["ratio"]))
        if r["repeats"] > 0 and r["baseline_spread"] is not None:
            check_spread(where + " baseline", r["baseline_spread"], r["baseline_median_s"])
            # Each pair's ratio lies between the extremes of the two sides.
            pr, a, b = r["pair_ratio"], r["spread"], r["baseline_spread"]
            if not positive(pr) or not (b["min_s"] / a["max_s"] * (1 - 1e-9) <= pr <=
                                        b["max_s"] / a["min_s"] * (1 + 1e-9)):
                fail("%s: pair_ratio %r outside the sides' spreads" % (where, pr))
        elif r["pair_ratio"] is not None and not positive(r["pair_ratio"]):
            fail("%s: pair_ratio %r" % (where, r["pair_ratio"]))


def check_rows(suite, rows, device):
    seen = set()
    for r in rows:
        check_row(r, device)
        if r["suite"] != suite:
            fail("row of suite %r in the %s report" % (r["suite"], suite))
        if r["case"] in seen:
            fail("%s: duplicate case name %r" % (suite, r["case"]))
        seen.add(r["case"])
        if r["repeats"] > 0 and r["baseline"] is not None and r["baseline_spread"] is None:
            # fft rows scale the GEMM's runs; every interleaved pair has both.
            fail("%s/%s: baseline without spread" % (suite, r["case"]))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    tool, outdir = sys.argv[1], sys.argv[2]
    device = sys.argv[3] if len(sys.argv) > 3 else "cpu:0"
    os.makedirs(outdir, exist_ok=True)
    cpu = device.startswith("cpu")

    gemm_args = ["--sizes", "32", "--shape", "48x40x24", "--dtype", "f32,bf16", "--trans", "NT",
                 "--repeats", "3"] + (["--own"] if cpu else [])
    rows = run_suite(tool, outdir, device, "gemm", gemm_args)
    check_rows("gemm", rows, device)
    want = {(m, n, k, dt, path) for (m, n, k) in [(32, 32, 32), (48, 40, 24)]
            for dt in ["f32", "bf16"] for path in (["default", "own"] if cpu else ["default"])}
    got = set()
    for r in rows:
        for k in ["m", "n", "k", "dtype", "trans", "path"]:
            if k not in r:
                fail("gemm/%s: no %s" % (r["case"], k))
        if r["trans"] != "NT":
            fail("gemm/%s: trans %r" % (r["case"], r["trans"]))
        if not positive(r["gflops"]):
            fail("gemm/%s: gflops %r" % (r["case"], r["gflops"]))
        if r["baseline"] is not None and r["repeats"] != 3:
            fail("gemm/%s: repeats %r" % (r["case"], r["repeats"]))
        got.add((r["m"], r["n"], r["k"], r["dtype"], r["path"]))
    if got != want:
        fail("gemm rows %s, want %s" % (sorted(got), sorted(want)))

    rows = run_suite(tool, outdir, device, "norm", ["--sizes", "64,128", "--repeats", "3"])
    check_rows("norm", rows, device)
    if len(rows) != 2:
        fail("norm: %d rows for 2 widths" % len(rows))
    for r in rows:
        if r["gflops"] is not None:
            fail("norm/%s: gflops %r (a norm is not judged in flops)" % (r["case"], r["gflops"]))
        for k in ["gbps", "baseline_gbps", "memcpy_gbps"]:
            if not positive(r.get(k)):
                fail("norm/%s: %s %r" % (r["case"], k, r.get(k)))
        if r["baseline_spread"] is None:
            fail("norm/%s: no baseline spread" % r["case"])

    rows = run_suite(tool, outdir, device, "attention", ["--sizes", "64", "--repeats", "2"])
    check_rows("attention", rows, device)
    for r in rows:
        for k in ["peak_mib", "baseline_peak_mib"]:
            v = r.get(k, "absent")
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0):
                fail("attention/%s: %s %r" % (r["case"], k, v))
        # The GEMM roof measured interleaved with each case (bench_attention.c).
        for k in ["gemm_n", "gemm_gflops", "roof_gflops", "roof_ratio"]:
            if not positive(r.get(k)):
                fail("attention/%s: %s %r" % (r["case"], k, r.get(k)))
        if not r["case"].endswith(" f32") and not positive(r.get("f32_time_ratio")):
            fail("attention/%s: f32_time_ratio %r" % (r["case"], r.get("f32_time_ratio")))
    if sorted(set(r["case"].split()[-1] for r in rows)) != ["bf16", "f16", "f32"]:
        fail("attention: dtypes %r" % sorted(set(r["case"].split()[-1] for r in rows)))

    rows = run_suite(tool, outdir, device, "moe", ["--quick", "--sizes", "32", "--repeats", "2"])
    check_rows("moe", rows, device)
    rows = run_suite(tool, outdir, device, "fft", ["--quick", "--sizes", "64", "--repeats", "2"])
    check_rows("fft", rows, device)
    rows = run_suite(tool, outdir, device, "fftconv", ["--sizes", "128", "--repeats", "2"])
    check_rows("fftconv", rows, device)
    print("check_bench: OK")


if __name__ == "__main__":
    main()
