"""Evaluation stage: read a golden set, run it through the engine, score each answer, summarise per kind."""
from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .lexicon import fold
from .schema import Answer

EXPECT_KEYS = ("section", "contains_any", "contains_all", "items", "min_items", "abstain", "urgent")


@dataclass(frozen=True)
class GoldenItem:
    id: str
    kind: str
    question: str
    history: tuple[str, ...]
    expect: dict[str, Any]


@dataclass(frozen=True)
class Result:
    item: GoldenItem
    passed: bool
    reasons: tuple[str, ...]
    answer: dict[str, Any]
    latency_ms: float
    sections: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "kind": self.item.kind,
            "question": self.item.question,
            "history": list(self.item.history),
            "expect": self.item.expect,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "latency_ms": round(self.latency_ms, 3),
            "answer": self.answer,
        }


def norm(text: str) -> str:
    """Case-, whitespace- and dash-insensitive form used for every 'contains' check."""
    return re.sub(r"\s+", " ", fold(text).replace("-", " ")).strip()


def load_golden(path: str | Path) -> list[GoldenItem]:
    """Read a golden JSONL file; raises InputError naming the line that is wrong."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"golden file {path} does not exist")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            expect = {k: obj.get("expect", {}).get(k) for k in EXPECT_KEYS}
            items.append(GoldenItem(str(obj["id"]), str(obj.get("kind", "?")), str(obj["question"]),
                                    tuple(obj.get("history") or ()), expect))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{path}:{n}: not a golden item ({exc}); expected {{id, kind, question, history, expect}}") from exc
    if not items:
        raise InputError(f"{path} holds no golden items")
    return items


def check(item: GoldenItem, ans: Answer) -> tuple[bool, tuple[str, ...]]:
    """Apply the golden rules to one answer; return (passed, reasons it failed)."""
    e = item.expect
    why: list[str] = []
    if bool(e.get("abstain")) != ans.abstained:
        why.append(f"abstained={ans.abstained}, expected {bool(e.get('abstain'))}")
    if e.get("urgent") is not None and bool(e.get("urgent")) != ans.urgent:
        why.append(f"urgent={ans.urgent}, expected {bool(e.get('urgent'))}")
    if not e.get("abstain"):
        text = norm(ans.answer)
        missing = [p for p in e.get("contains_all") or [] if norm(p) not in text]
        if missing:
            why.append(f"missing {missing}")
        anys = e.get("contains_any") or []
        if anys and not any(norm(p) in text for p in anys):
            why.append(f"none of {anys}")
        items = e.get("items") or []
        need = int(e.get("min_items") or 0)
        got = sum(norm(p) in text for p in items)
        if got < need:
            why.append(f"{got}/{need} items")
        sec = e.get("section")
        if sec and not any(norm(sec) in norm(s.section) for s in ans.sources[:3]):
            why.append(f"section {sec!r} not in top-3 sources {[s.section for s in ans.sources[:3]]}")
    if not ans.disclaimer:
        why.append("no disclaimer")
    return not why, tuple(why)


def run_golden(engine: Any, items: list[GoldenItem], progress: Callable[[int, int], None] | None = None) -> list[Result]:
    """Ask every golden question (engine.ask) and check it."""
    out = []
    for i, item in enumerate(items, 1):
        t0 = time.perf_counter()
        ans = engine.ask(item.question, list(item.history))
        ms = (time.perf_counter() - t0) * 1000
        ok, why = check(item, ans)
        out.append(Result(item, ok, why, ans.to_json(), ms, tuple(s.section for s in ans.sources)))
        if progress:
            progress(i, len(items))
    return out


def summarise(results: list[Result]) -> dict[str, Any]:
    kinds: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        kinds[r.item.kind].append(r.passed)
    lat = sorted(r.latency_ms for r in results)
    return {
        "overall": sum(r.passed for r in results) / len(results),
        "n": len(results),
        "kinds": {k: {"n": len(v), "passed": sum(v), "accuracy": sum(v) / len(v)} for k, v in sorted(kinds.items())},
        "latency_ms_p50": lat[len(lat) // 2],
        "latency_ms_p95": lat[min(len(lat) - 1, int(len(lat) * 0.95))],
    }


def print_summary(results: list[Result], minimum: float, sealed: bool = False) -> bool:
    """Per-kind table, then each failure with its question unless the set is sealed (a holdout that no
    tuning may read: its figures are printed, its questions are not)."""
    s = summarise(results)
    print(f"{'kind':<10} {'n':>4} {'pass':>5} {'acc':>6}")
    for k, v in s["kinds"].items():
        print(f"{k:<10} {v['n']:>4} {v['passed']:>5} {v['accuracy']:>6.1%}")
    print(f"{'overall':<10} {s['n']:>4} {sum(r.passed for r in results):>5} {s['overall']:>6.1%}")
    print(f"latency p50 {s['latency_ms_p50']:.1f} ms, p95 {s['latency_ms_p95']:.1f} ms")
    for r in results:
        if not r.passed and sealed:
            print(f"FAIL {r.item.id} [{r.item.kind}]")
        elif not r.passed:
            print(f"FAIL {r.item.id} [{r.item.kind}] {r.item.question!r}: {'; '.join(r.reasons)}")
    ok = s["overall"] >= minimum
    print(f"{'PASS' if ok else 'FAIL'}: overall {s['overall']:.1%} (minimum {minimum:.0%})")
    return ok


def results_asdict(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
