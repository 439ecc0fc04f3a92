#!/usr/bin/python3
"""SciPy reference values for the autopilot statistics (run with Debian's /usr/bin/python3 + python3-scipy).

Reads one JSON object on stdin: {"cases": [{"kind": ..., ...}, ...]} and writes {"scipy": version,
"results": [...]} with one result per case. The Kayenta interval is computed the way the reference notes
describe (rankdata with average ties, norm.ppf, brentq with xtol=1e-4), independently of the TypeScript.
Mode {"bench": {"metrics": [{"baseline": [...], "canary": [...]}, ...]}} times the same statistics the
isd judge computes per metric and reports elapsed milliseconds.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import optimize, stats


def kayenta_interval(x, y, conf, tol=1e-4):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    nx, ny = float(len(x)), float(len(y))
    mu_min = x.min() - y.max()
    mu_max = x.max() - y.min()

    def wdiff(d, zq):
        dr = stats.rankdata(np.concatenate([x - d, y]))
        _, counts = np.unique(dr, return_counts=True)
        dz = dr[: len(x)].sum() - nx * (nx + 1) / 2 - nx * ny / 2
        corr = np.sign(dz) * 0.5
        ties = float((counts.astype(float) ** 3 - counts).sum())
        sigma = np.sqrt((nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1))))
        return (dz - corr) / sigma - zq

    def root(zq):
        if wdiff(mu_min, zq) <= 0:
            return mu_min
        if wdiff(mu_max, zq) >= 0:
            return mu_max
        return optimize.brentq(wdiff, mu_min, mu_max, args=(zq,), xtol=tol, maxiter=1000)

    zq = stats.norm.ppf((1 - conf) / 2)
    lower = root(-zq)
    upper = root(zq)
    estimate = optimize.brentq(wdiff, mu_min, mu_max, args=(0.0,), xtol=tol, maxiter=1000)
    return {"lower": float(lower), "upper": float(upper), "estimate": float(estimate), "z0": float(wdiff(0.0, 0.0))}


def run_case(case):
    kind = case["kind"]
    if kind == "mannwhitneyu":
        r = stats.mannwhitneyu(case["x"], case["y"], alternative="two-sided", use_continuity=True, method=case["method"])
        return {"statistic": float(r.statistic), "pValue": float(r.pvalue)}
    if kind == "kayentaInterval":
        return kayenta_interval(case["x"], case["y"], case["confidenceLevel"])
    if kind == "ks":
        r = stats.ks_2samp(case["x"], case["y"], alternative=case["alternative"], method="asymp")
        x, y = len(case["x"]), len(case["y"])
        en = x * y / (x + y)
        out = {"statistic": float(r.statistic), "pValue": float(r.pvalue)}
        out["kstwobignSf"] = float(stats.kstwobign.sf(np.sqrt(en) * r.statistic))
        return out
    if kind == "levene":
        r = stats.levene(case["x"], case["y"], center="median")
        return {"statistic": float(r.statistic), "pValue": float(r.pvalue)}
    if kind == "welch":
        r = stats.ttest_ind(case["x"], case["y"], equal_var=False)
        return {"statistic": float(r.statistic), "pValue": float(r.pvalue)}
    if kind == "fisherGreater":
        k1, n1, k2, n2 = case["k1"], case["n1"], case["k2"], case["n2"]
        _, p = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="greater")
        return {"pValue": float(p)}
    if kind == "cles":
        r = stats.mannwhitneyu(case["x"], case["y"], alternative="two-sided", method="asymptotic")
        return {"value": float(r.statistic) / (len(case["x"]) * len(case["y"]))}
    if kind == "percentile":
        return {"value": float(np.percentile(case["x"], case["p"]))}
    if kind == "lag1":
        x = np.asarray(case["x"], dtype=float)
        d = x - x.mean()
        return {"value": float(np.sum(d[1:] * d[:-1]) / np.sum(d * d))}
    if kind == "normPpf":
        return {"value": float(stats.norm.ppf(case["p"]))}
    if kind == "normSf":
        return {"value": float(stats.norm.sf(case["z"]))}
    if kind == "tTwoSided":
        return {"value": float(2 * stats.t.sf(abs(case["t"]), case["df"]))}
    if kind == "fSf":
        return {"value": float(stats.f.sf(case["f"], case["d1"], case["d2"]))}
    if kind == "kstwobignSf":
        return {"value": float(stats.kstwobign.sf(case["x"]))}
    raise ValueError("unknown case kind " + kind)


def bench(metrics):
    started = time.perf_counter()
    for m in metrics:
        b = np.asarray(m["baseline"], dtype=float)
        c = np.asarray(m["canary"], dtype=float)
        stats.mannwhitneyu(c, b, alternative="two-sided", method="asymptotic")
        stats.ttest_ind(c, b, equal_var=False)
        stats.levene(c, b, center="median")
        stats.ks_2samp(b, c, alternative="greater", method="asymp")
        kayenta_interval(c, b, 0.98)
    return (time.perf_counter() - started) * 1000


def main():
    request = json.load(sys.stdin)
    if "bench" in request:
        json.dump({"scipy": scipy.__version__, "elapsedMs": bench(request["bench"]["metrics"])}, sys.stdout)
        return
    json.dump({"scipy": scipy.__version__, "results": [run_case(c) for c in request["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
