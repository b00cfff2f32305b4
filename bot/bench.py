"""Benchmark: prints (and saves as JSON) latency, cold start, build time, memory and HTTP figures."""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import ROOT

QUESTION = "What is the dose of gabapentin?"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", TOKENIZERS_PARALLELISM="false")
    env.update(extra)
    return env


def cold_start(onnx: bool, runs: int = 3) -> dict[str, float]:
    """Wall time of `python -m bot ask` in a fresh process (index already built), and its peak RSS."""
    times, rss = [], []
    for _ in range(runs):
        code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
                "subprocess.run([sys.executable,'-m','bot','ask',sys.argv[1]],check=True,stdout=subprocess.DEVNULL,"
                "stderr=subprocess.DEVNULL);print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code, QUESTION], capture_output=True, text=True, check=True,
                             cwd=ROOT, env=_env(FORAMEN_ONNX="1" if onnx else "0")).stdout.split()
        times.append(float(out[0]))
        rss.append(float(out[1]) / 1024)
    return {"cold_start_s": statistics.median(times), "cli_peak_rss_mib": max(rss)}


def in_process(onnx: bool, questions: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Per-answer latency over the golden questions in one warm process (cache off: every question encoded)."""
    from .engine import Engine

    eng = Engine(progress=lambda m: None, onnx=onnx)
    eng.ensure_index()
    for q, h in questions[:5]:
        eng.ask(q, h)
    lat = []
    for q, h in questions:
        eng._cache.clear()
        t = time.perf_counter()
        eng.ask(q, h)
        lat.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99), "n": len(lat)}


def build_time() -> dict[str, float]:
    """A full build from scratch (parse, embed, BM25, calibrate, ONNX export and check) into a temp folder,
    then a no-op start: the index work of a process that finds everything up to date."""
    from . import index as index_mod
    from .config import load_config
    from .engine import Engine

    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config().with_(index_dir=Path(tmp) / "index")
        t = time.perf_counter()
        Engine(cfg, progress=lambda m: None).build()
        full = time.perf_counter() - t
        eng = Engine(cfg, progress=lambda m: None)
        t = time.perf_counter()
        index_mod.load(cfg.index_dir, eng.expected_manifest())
        noop = time.perf_counter() - t
    return {"index_build_s": full, "noop_index_work_s": noop}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_call(base: str, api: str, data: list[Any], timeout: float = 30.0) -> Any:
    """One call of the app's HTTP API (gradio's two-step call: POST for an event id, GET the result)."""
    body = json.dumps({"data": data}).encode()
    req = urllib.request.Request(f"{base}/gradio_api/call/{api}", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/call/{api}/{event}", timeout=timeout) as r:
        text = r.read().decode()
    for block in text.split("\n\n"):
        if "event: complete" in block:
            out = json.loads(block.split("data:", 1)[1])[0]
            return json.loads(out) if isinstance(out, str) else out
    raise RuntimeError(f"{api}: no complete event: {text[:200]}")


def http_ask(base: str, question: str, history: list[str] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    return dict(http_call(base, "ask", [question, history or []], timeout))


def rest_ask(base: str, question: str, history: list[str] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    """One call of the app's plain JSON route: POST /api/ask, answer in the response body."""
    body = json.dumps({"question": question, "history": history or []}).encode()
    req = urllib.request.Request(f"{base}/api/ask", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return dict(json.loads(r.read()))


ROUTES: dict[str, Callable[..., dict[str, Any]]] = {"gradio /ask": http_ask, "POST /api/ask": rest_ask}


def start_app(onnx: bool, port: int, data_dir: str, cache: bool = True) -> subprocess.Popen[bytes]:
    extra = {} if cache else {"FORAMEN_CACHE_SIZE": "0"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT,
                            env=_env(FORAMEN_ONNX="1" if onnx else "0", FORAMEN_DATA_DIR=data_dir, **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            http_ask(base, QUESTION, timeout=5)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError("the app exited during start-up") from None
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not answer within 120 s")


def load(base: str, questions: list[str], clients: int, per_client: int,
         call: Callable[..., dict[str, Any]] = http_ask) -> dict[str, float]:
    """`clients` threads each send `per_client` questions; latency percentiles, throughput and error count."""
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(k: int) -> None:
        nonlocal errors
        for i in range(per_client):
            q = questions[(k * per_client + i) % len(questions)]
            t = time.perf_counter()
            try:
                call(base, q)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    lat.append(ms)
            except Exception:
                with lock:
                    errors += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": clients * per_client, "errors": errors, "p50_ms": pct(lat, 50) if lat else 0,
            "p95_ms": pct(lat, 95) if lat else 0, "answers_per_s": len(lat) / wall}


def app_figures(onnx: bool, questions: list[str], requests_per_level: int = 160) -> dict[str, Any]:
    """Both HTTP routes at 1, 8 and 32 clients: once with the embedding cache off (every question new to the
    app: the honest worst case) and once with it warmed by one pass over the questions (repeat questions)."""
    if not (ROOT / "app.py").exists():
        return {"skipped": "no app.py"}
    levels: list[dict[str, Any]] = []
    rss = 0.0
    for cache in (False, True):
        with tempfile.TemporaryDirectory() as data_dir:
            port = _free_port()
            proc = start_app(onnx, port, data_dir, cache=cache)
            try:
                base = f"http://127.0.0.1:{port}"
                if cache:
                    for q in questions:
                        rest_ask(base, q)
                for route, call in ROUTES.items():
                    for c in (1, 8, 32):
                        lv = load(base, questions, c, max(1, requests_per_level // c), call)
                        levels.append({"route": route, "cache": "warm" if cache else "off", **lv})
                rss = max(rss, _rss_mib(proc.pid))
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    return {"levels": levels, "app_rss_mib": rss}


def _rss_mib(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(out: Path | None, golden: Path, http: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    from .evaluate import load_golden

    items = load_golden(golden)
    qs = [(i.question, list(i.history)) for i in items]
    fig: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    for name, onnx in (("onnx", True), ("torch", False)):
        log(f"bench: {name} path: in-process latency over {len(qs)} golden questions…")
        fig[name] = in_process(onnx, qs)
        log(f"bench: {name} path: cold start (3 fresh processes)…")
        fig[name].update(cold_start(onnx))
        if http:
            log(f"bench: {name} path: app over HTTP (2 routes, cache off and warm) at 1, 8, 32 clients…")
            fig[name]["http"] = app_figures(onnx, [q for q, _ in qs])
    log("bench: full index build from scratch, then a no-op start…")
    fig["build"] = build_time()
    fig["ratio_p50_onnx_over_torch"] = fig["onnx"]["p50_ms"] / fig["torch"]["p50_ms"]
    fig["ratio_cold_onnx_over_torch"] = fig["onnx"]["cold_start_s"] / fig["torch"]["cold_start_s"]
    log(render(fig))
    if out:
        out.write_text(json.dumps(fig, indent=2))
    return fig


def render(f: dict[str, Any]) -> str:
    rows = [f"{'figure':<38} {'onnx':>10} {'torch':>10}"]
    for key, label in (("p50_ms", "answer p50 (ms, in-process)"), ("p95_ms", "answer p95 (ms)"), ("p99_ms", "answer p99 (ms)"),
                       ("cold_start_s", "cold start to first answer (s)"), ("cli_peak_rss_mib", "CLI peak RSS (MiB)")):
        rows.append(f"{label:<38} {f['onnx'][key]:>10.2f} {f['torch'][key]:>10.2f}")
    for name in ("onnx", "torch"):
        http = f[name].get("http", {})
        for lv in http.get("levels", []):
            rows.append(f"HTTP {name} {lv.get('route', ''):<13} cache {lv.get('cache', ''):<4} {lv['clients']:>2} clients: p50 {lv['p50_ms']:.1f} ms, p95 {lv['p95_ms']:.1f} ms, "
                        f"{lv['answers_per_s']:.0f} answers/s, {lv['errors']} errors / {lv['requests']}")
        if "app_rss_mib" in http:
            rows.append(f"app peak RSS ({name}): {http['app_rss_mib']:.0f} MiB")
    rows.append(f"index build from scratch (incl. ONNX export + check): {f['build']['index_build_s']:.1f} s")
    rows.append(f"no-op start, index work: {f['build']['noop_index_work_s'] * 1000:.0f} ms")
    rows.append(f"p50 ratio onnx/torch: {f['ratio_p50_onnx_over_torch']:.2f}; cold-start ratio: {f['ratio_cold_onnx_over_torch']:.2f}")
    return "\n".join(rows)




