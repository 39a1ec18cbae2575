"""JSON-lines plumbing shared by the Python peers of the benchmark.

One request per stdin line, one response per stdout line. Timings are taken inside
Python with time.perf_counter around the peer's own API calls only, so neither the
pipe between Node and Python nor JSON (de)serialisation of the request is counted.
Anything the libraries print goes to stderr: stdout carries responses only.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Callable, Dict, List

Handler = Callable[[Dict[str, Any]], Dict[str, Any]]

# As bench/lib/stats.ts: timed runs stop short of the asked number, after at least MIN_RUNS,
# once they took the request's budgetMs.
MIN_RUNS = 5


def enough(samples: List[float], request: Dict[str, Any]) -> bool:
    """Whether a contender's timed runs may stop before the asked number."""
    return len(samples) >= MIN_RUNS and sum(samples) >= request.get("budgetMs", 10_000)


def serve(handlers: Dict[str, Handler]) -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    # Libraries that print (MLflow's emoji links, absl) must not corrupt the protocol.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        request: Dict[str, Any] = json.loads(line)
        op = request.get("op", "")
        try:
            handler = handlers.get(op)
            if handler is None:
                response: Dict[str, Any] = {"error": f"unknown op {op!r}"}
            else:
                response = handler(request)
        except Exception as error:  # reported to the harness, which logs it
            traceback.print_exc(file=sys.stderr)
            response = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(response) + "\n")
        if op == "close":
            break

