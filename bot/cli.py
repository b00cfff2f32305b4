"""Command line: `python -m bot index | ask | eval | …`; parsing and printing only, imports kept lazy."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _engine():  # type: ignore[no-untyped-def]
    from .engine import Engine

    return Engine()


def cmd_index(args: argparse.Namespace) -> int:
    eng = _engine()
    idx = eng.ensure_index() if args.if_needed else eng.build()
    cal = idx.manifest.get("calibration", {})
    print(f"index: {len(idx.chunks)} chunks, threshold {cal.get('threshold')}, onnx {idx.manifest.get('onnx')}")
    return 0


def render(ans) -> str:  # type: ignore[no-untyped-def]
    """An answer for a person reading a terminal."""
    lines = []
    if ans.urgent:
        lines.append("!! URGENT: seek medical attention !!")
    lines.append(ans.answer)
    if ans.sources and not ans.abstained:
        lines.append("")
        lines.append("Sources:")
        lines += [f"  [{i}] {s.section} › {s.title} (score {s.score:.3f})" for i, s in enumerate(ans.sources[:3], 1)]
    lines.append("")
    lines.append(ans.disclaimer)
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    eng = _engine()
    if args.jsonl:
        return _ask_jsonl(eng)
    if not args.question:
        print("error: give a question, e.g. python -m bot ask \"What is the dose of gabapentin?\"", file=sys.stderr)
        return 2
    ans = eng.ask(" ".join(args.question), args.history or [])
    print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2) if args.json else render(ans))
    return 0


def _ask_jsonl(eng) -> int:  # type: ignore[no-untyped-def]
    """One JSON answer per input line; a bad line gets an error object and the rest still answer."""
    stdin = sys.stdin.buffer
    for n, raw in enumerate(stdin, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
            if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
                raise ValueError('expected an object like {"question": "...", "history": []}')
            history = obj.get("history") or []
            if not isinstance(history, list):
                raise ValueError("history must be a list of earlier questions")
            out = eng.ask(obj["question"], [h for h in history if isinstance(h, str)]).to_json()
        except (UnicodeDecodeError, ValueError) as exc:
            out = {"error": f"line {n}: {exc}", "line": n}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import load_golden, print_summary, run_golden

    eng = _engine()
    items = load_golden(args.file)
    results = run_golden(eng, items)
    ok = print_summary(results, args.min, args.sealed)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([r.to_json() for r in results], f, ensure_ascii=False, indent=1)
    if args.report:
        from .report import eval_report

        eval_report(results, args.report)
    return 0 if ok else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bench import run

    run(Path(args.out) if args.out else None, Path(args.golden), http=not args.no_http)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from .coverage import run_coverage, to_markdown
    from .evaluate import load_golden
    from .report import write_coverage

    golden = load_golden(args.golden) if args.golden else []
    eng = _engine()

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            print(f"coverage: {done}/{total} questions", file=sys.stderr, flush=True)

    cov = run_coverage(eng, golden, progress)
    out = write_coverage(cov, args.out)
    print(to_markdown(cov))
    print(f"\nHTML report: {out}")
    return 0


def cmd_eval_diff(args: argparse.Namespace) -> int:
    from .report import diff_runs, diff_text, load_run

    print(diff_text(diff_runs(load_run(args.a), load_run(args.b)), (args.a, args.b)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Offline extractive Q&A over the corpus article.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("index", help="build the index (FAISS + BM25 + ONNX encoder) from corpus/")
    s.add_argument("--if-needed", action="store_true", help="only when missing, stale or corrupt")
    s.set_defaults(func=cmd_index)
    s = sub.add_parser("ask", help="answer a question")
    s.add_argument("question", nargs="*")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--jsonl", action="store_true", help="read JSON lines from stdin, write one answer per line")
    s.add_argument("--history", action="append", help="an earlier user question (repeat, oldest first)")
    s.set_defaults(func=cmd_ask)
    s = sub.add_parser("eval", help="run a golden set and print accuracy per kind")
    s.add_argument("file")
    s.add_argument("--min", type=float, default=0.9, help="exit non-zero below this overall accuracy")
    s.add_argument("--json", metavar="OUT", help="write per-question results as JSON")
    s.add_argument("--sealed", action="store_true",
                   help="a holdout: print the figures and failing ids, never the questions or reasons")
    s.add_argument("--report", metavar="OUT.html", help="write an HTML report")
    s.set_defaults(func=cmd_eval)
    s = sub.add_parser("bench", help="measure latency, cold start, build time, memory and HTTP throughput")
    s.add_argument("--out", default="bench.json", help="write the figures as JSON here")
    s.add_argument("--golden", default="tests/golden/golden.jsonl")
    s.add_argument("--no-http", action="store_true", help="skip the app/HTTP figures")
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("coverage", help="probe every article entry and write an HTML coverage report")
    s.add_argument("--out", default="coverage.html", help="write the HTML report here")
    s.add_argument("--golden", default=_default_golden(), help="golden set to measure coverage of ('' for none)")
    s.set_defaults(func=cmd_coverage)
    s = sub.add_parser("eval-diff", help="compare two `eval --json` outputs: flips and accuracy")
    s.add_argument("a", help="the earlier run")
    s.add_argument("b", help="the later run")
    s.set_defaults(func=cmd_eval_diff)
    return p


def _default_golden() -> str:
    from .config import ROOT

    return str(ROOT / "tests" / "golden" / "golden.jsonl")


def main(argv: Sequence[str] | None = None) -> int:
    from .errors import BotError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
