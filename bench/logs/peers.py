"""Peers of the logs bench, run in the virtualenv bench/logs/main.ts makes.

  peers.py accuracy DATA_DIR OUT_JSON   Drain and Brain (logpai's logparser3) on each system of DATA_DIR;
                                        writes {"drain": {system: [template per line]}, "brain": {...}}
  peers.py speed LINES_FILE REPEAT      one timed round: a fresh drain3 TemplateMiner over the lines of
                                        LINES_FILE, REPEAT times, after an untimed warm-up pass on another
                                        miner and a full collection; prints {"lines": n, "seconds": wall,
                                        "cpuSeconds": cpu of the mining loop only, ...}
"""
import ast
import contextlib
import gc
import io
import json
import os
import sys
import tempfile
import time


def brain_settings():
    # Brain's published per-system settings (threshold, delimiters), read from its own benchmark script.
    import logparser.Brain as brain_pkg

    source = open(os.path.join(os.path.dirname(brain_pkg.__file__), "benchmark.py")).read()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "benchmark_settings":
            return ast.literal_eval(node.value)
    return {}


def run_parser(make_parser, log_dir, log_name, out_dir):
    with contextlib.redirect_stdout(io.StringIO()):
        make_parser(log_dir, out_dir).parse(log_name)
    import pandas as pd

    parsed = pd.read_csv(os.path.join(out_dir, log_name + "_structured.csv"), dtype=str)
    parsed.fillna("", inplace=True)
    return list(parsed["EventTemplate"])


def accuracy(data_dir, out_json):
    from logparser.Brain import LogParser as Brain
    from logparser.Drain import LogParser as Drain

    formats = json.load(open(os.path.join(data_dir, "formats.json")))
    brain = brain_settings()
    result = {"drain": {}, "brain": {}}
    systems = sorted(
        name for name in formats if os.path.isfile(os.path.join(data_dir, name, name + "_2k.log"))
    )
    with tempfile.TemporaryDirectory() as out_dir:
        for name in systems:
            fmt = formats[name]
            log_dir = os.path.join(data_dir, name)
            log_name = name + "_2k.log"
            result["drain"][name] = run_parser(
                lambda indir, outdir: Drain(
                    fmt["log_format"], indir=indir, outdir=outdir, depth=fmt.get("depth", 4),
                    st=fmt.get("st", 0.4), rex=fmt["regex"],
                ),
                log_dir, log_name, os.path.join(out_dir, "drain"),
            )
            settings = brain.get(name, {})
            result["brain"][name] = run_parser(
                lambda indir, outdir: Brain(
                    logname=name, log_format=fmt["log_format"], indir=indir, outdir=outdir,
                    threshold=settings.get("theshold", 2), delimeter=settings.get("delimiter", []),
                    rex=settings.get("regex", fmt["regex"]),
                ),
                log_dir, log_name, os.path.join(out_dir, "brain"),
            )
            print(f"peers: {name} parsed by Drain and Brain", file=sys.stderr)
    json.dump(result, open(out_json, "w"))


def speed(lines_file, repeat):
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    # drain3's default configuration, given explicitly so no drain3.ini in the working folder changes it.
    config = TemplateMinerConfig()
    lines = open(lines_file).read().split("\n")
    # The same preparation as our side gets: one untimed pass (imports, caches, allocator), then a full
    # collection so the timed round starts from a clean heap; collections during the round are counted.
    warm_up = TemplateMiner(config=config)
    for line in lines:
        warm_up.add_log_message(line)
    del warm_up
    gc.collect()
    miner = TemplateMiner(config=config)
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(repeat):
        for line in lines:
            miner.add_log_message(line)
    cpu_seconds = time.process_time() - cpu_started
    seconds = time.perf_counter() - started
    print(json.dumps({
        "lines": len(lines) * repeat, "seconds": seconds, "cpuSeconds": cpu_seconds,
        "templates": len(miner.drain.clusters),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "accuracy":
        accuracy(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "speed":
        speed(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(f"unknown command {sys.argv[1]!r}: expected accuracy or speed")
