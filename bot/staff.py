"""Staff review stage: coverage, golden runs and disliked answers turned into tables, charts and export files."""
from __future__ import annotations

import csv
import hmac
import io
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import ROOT
from .coverage import STATUSES, Coverage, cite, run_coverage
from .errors import InputError
from .evaluate import GoldenItem, Result, load_golden, run_golden, summarise
from .feedback import Feedback, FeedbackStore
from .report import LABELS, accuracy_bars, stacked_bars

PASSWORD_ENV = "FORAMEN_STAFF_PASSWORD"
WRONG_PASSWORD = "Sorry — that password is not right. The staff tools stay locked."
LOCKED = "The staff tools are locked: type the staff password first."
GOLDEN_LINE = 'one JSON object a line: {"id", "kind", "question", "history": [], "expect": {…}}'
SHIPPED_GOLDEN = ROOT / "tests" / "golden" / "golden.jsonl"
CHART_CSS = "overflow-x:auto;max-width:100%"  # a long section name makes the SVG wider than a phone

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Table:
    """Rows for a grid in the staff tab; every cell is plain text or a number, never markup."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str | int | float, ...], ...]


@dataclass(frozen=True)
class CoverageView:
    summary: str  # markdown
    chart: str  # inline SVG in a <div>
    sections: Table
    missed: Table


@dataclass(frozen=True)
class GoldenView:
    summary: str  # markdown
    chart: str
    kinds: Table
    failures: Table
    jsonl: Path
    csv: Path


@dataclass(frozen=True)
class FeedbackView:
    summary: str  # markdown
    table: Table
    candidates: Path | None  # None when nothing was disliked


# ---- password -----------------------------------------------------------------------------------------------
def staff_password(env: Mapping[str, str] = os.environ) -> str | None:
    """The staff password from FORAMEN_STAFF_PASSWORD; None (no staff tab at all) when unset or blank."""
    value = env.get(PASSWORD_ENV, "")
    return value if value.strip() else None


def check_password(typed: str | None, expected: str | None) -> bool:
    """True only for the exact password, compared in constant time; always False when no password is set."""
    if not expected or not typed:
        return False
    return hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))  # bytes: str must be ASCII


# ---- coverage -----------------------------------------------------------------------------------------------
def shipped_golden() -> list[GoldenItem]:
    """The repository's golden set, so coverage counts what it covers (as `python -m bot coverage` does)."""
    return load_golden(SHIPPED_GOLDEN) if SHIPPED_GOLDEN.exists() else []


def coverage_view(cov: Coverage) -> CoverageView:
    """Per-section table, the two stacked-bar charts of bot.report and every probe not answered first."""
    n = len(cov.entries)
    golden = f" Golden set: {cov.golden_passed}/{cov.golden_n} passed." if cov.golden_n else ""
    summary = (f"**{n} entries probed.** “What is …?” answered from the entry first for **{cov.share('first'):.1%}**, "
               f"in the top 3 for {cov.share('top3'):.1%}, missed for {cov.share('missed'):.1%}. All entry probes: "
               f"{cov.share('first', 'probes'):.1%} first, {cov.share('missed', 'probes'):.1%} missed.{golden}")
    chart = (f'<div style="{CHART_CSS}"><h4>“What is &lt;entry&gt;?” per section</h4>'
             + stacked_bars([(r.section, [r.what[s] for s in STATUSES]) for r in cov.rows], STATUSES)
             + "<h4>All entry probes per section</h4>"
             + stacked_bars([(r.section, [r.probes[s] for s in STATUSES]) for r in cov.rows], STATUSES) + "</div>")
    rows: list[tuple[str | int, ...]] = []
    for r in cov.rows:
        listing = "–"
        if r.listing:
            listing = f"{r.listing.listed}/{r.listing.entries} listed"
            listing += "" if r.listing.result.rank == 1 else ", answered from another section"
        rows.append((r.section, r.entries, *(r.what[s] for s in STATUSES), *(r.probes[s] for s in STATUSES),
                     listing, f"{r.golden}/{r.entries}"))
    sections = Table(("section", "entries", "what: first", "what: top-3", "what: missed", "all: first", "all: top-3",
                      "all: missed", "list probe", "golden-covered"), tuple(rows))
    misses = [(e.chunk.citation, p.probe.question, LABELS[p.status],
               "abstained" if p.abstained else " · ".join(p.returned) or "no sources")
              for e in cov.entries for p in e.probes if p.status != "first"]
    misses.sort(key=lambda m: m[2] != LABELS["missed"])  # stable: the misses first, in article order
    missed = Table(("entry", "probe", "status", "came back instead (top 3)"), tuple(misses))
    return CoverageView(summary, chart, sections, missed)


def run_coverage_view(engine: Any, progress: Progress | None = None) -> CoverageView:
    """Run the coverage probe (with the shipped golden set, when present) and shape it for the staff tab."""
    return coverage_view(run_coverage(engine, shipped_golden(), progress))


# ---- golden runs --------------------------------------------------------------------------------------------
def read_golden(path: str | Path, name: str | None = None) -> list[GoldenItem]:
    """load_golden for an uploaded file, with messages that name the line but not the server path.
    `name` is what to call the file (default: its base name). Raises InputError."""
    path = Path(path)
    name = name or path.name
    try:
        return load_golden(path)
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text; save it as UTF-8 JSON lines ({GOLDEN_LINE})") from None
    except OSError as exc:
        raise InputError(f"{name} could not be read ({exc.strerror or type(exc).__name__}); upload it again") from None
    except InputError as exc:
        m = re.match(rf"{re.escape(str(path))}:(\d+): ", str(exc))
        if not m:  # no items at all, or a missing file
            raise InputError(str(exc).replace(str(path), name) + f"; expected {GOLDEN_LINE}") from None
        line, cause = int(m.group(1)), exc.__cause__
        if isinstance(cause, json.JSONDecodeError):
            why = f"is not JSON ({cause.msg} at column {cause.colno})"
        elif isinstance(cause, KeyError):
            why = f"is missing the key {cause.args[0]!r}"
        else:  # AttributeError/TypeError: a list instead of an object, an expect that is not an object, …
            why = "is not a golden item (wrong type: the line, its expect or its history)"
        raise InputError(f"{name} line {line} {why}; expected {GOLDEN_LINE}") from None


def _sections(result: Result) -> str:
    return " · ".join(cite(s["section"], s["title"]) for s in result.answer.get("sources", [])[:3]) or "none"


def golden_tables(results: Sequence[Result]) -> tuple[str, str, Table, Table]:
    """(summary markdown, accuracy chart, per-kind table with an overall row, failures table)."""
    if not results:
        raise InputError("the golden file held no questions")
    s = summarise(list(results))
    passed = sum(r.passed for r in results)
    summary = (f"**Overall {s['overall']:.1%}** ({passed}/{len(results)} passed). Latency p50 "
               f"{s['latency_ms_p50']:.1f} ms, p95 {s['latency_ms_p95']:.1f} ms.")
    kinds = [(k, v["n"], v["passed"], f"{v['accuracy']:.1%}") for k, v in s["kinds"].items()]
    kinds.append(("overall", len(results), passed, f"{s['overall']:.1%}"))
    chart = f'<div style="{CHART_CSS}">' + accuracy_bars([(k, p, n) for k, n, p, _ in kinds]) + "</div>"
    failures = tuple((r.item.id, r.item.kind, r.item.question, "; ".join(r.reasons),
                      str(r.item.expect.get("section") or "—"), _sections(r)) for r in results if not r.passed)
    return (summary, chart, Table(("kind", "n", "passed", "accuracy"), tuple(kinds)),
            Table(("id", "kind", "question", "why it failed", "expected section", "returned sections (top 3)"), failures))


def results_jsonl(results: Sequence[Result]) -> str:
    """One `eval --json` object a line (the same fields as `python -m bot eval --json`)."""
    return "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in results)


CSV_HEADERS = ("id", "kind", "question", "passed", "reasons", "expected_section", "returned_sections",
               "abstained", "urgent", "latency_ms", "answer")


def results_csv(results: Sequence[Result]) -> str:
    """One row per golden question, for a spreadsheet."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADERS)
    for r in results:
        w.writerow((r.item.id, r.item.kind, r.item.question, "yes" if r.passed else "no", "; ".join(r.reasons),
                    r.item.expect.get("section") or "", _sections(r) if r.answer.get("sources") else "",
                    r.answer.get("abstained"), r.answer.get("urgent"), f"{r.latency_ms:.1f}", r.answer.get("answer", "")))
    return out.getvalue()


def run_golden_view(engine: Any, path: str | Path, out_dir: str | Path, name: str | None = None,
                    progress: Progress | None = None) -> GoldenView:
    """Read an uploaded golden file, ask every question, and write golden-results.jsonl/.csv into out_dir.
    Raises InputError (naming the line) for a file that is not a golden set."""
    results = run_golden(engine, read_golden(path, name), progress)
    summary, chart, kinds, failures = golden_tables(results)
    out = Path(out_dir)
    jsonl, table = out / "golden-results.jsonl", out / "golden-results.csv"
    jsonl.write_text(results_jsonl(results), encoding="utf-8")
    table.write_text(results_csv(results), encoding="utf-8")
    return GoldenView(summary, chart, kinds, failures, jsonl, table)


# ---- feedback review ----------------------------------------------------------------------------------------
def when(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M UTC")


def feedback_table(rows: Sequence[Feedback]) -> Table:
    """Disliked answers, newest first. The question shows only when question logging was on."""
    ordered = sorted(rows, key=lambda r: -r.created)
    return Table(("time", "reason", "question", "answer id"),
                 tuple((when(r.created), r.reason or "—", r.question if r.question else "(not logged)", r.answer_id)
                       for r in ordered))


def feedback_candidates(rows: Sequence[Feedback]) -> list[dict[str, Any]]:
    """Golden-set candidates for staff to curate: the question with an empty expect to fill in.
    Nothing here changes how the bot answers."""
    out, used = [], set()
    for r in rows:
        cid = f"fb-{r.answer_id[:8]}"
        if cid in used:  # two answer ids sharing a prefix: fall back to the whole id
            cid = f"fb-{r.answer_id}"
        used.add(cid)
        out.append({
            "id": cid, "kind": "feedback", "question": r.question or "", "history": [],
            "answer_id": r.answer_id, "reason": r.reason,
            "expect": {"section": None, "contains_any": [], "contains_all": [], "items": [], "min_items": 0,
                       "abstain": False, "urgent": False},
        })
    return out


def candidates_jsonl(rows: Sequence[Feedback]) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in feedback_candidates(rows))


def feedback_view(store: FeedbackStore, out_dir: str | Path) -> FeedbackView:
    """Read the disliked answers; write feedback-candidates.jsonl into out_dir when there are any."""
    rows = store.disliked()
    if not rows:
        return FeedbackView("No disliked answers yet.", feedback_table([]), None)
    path = Path(out_dir) / "feedback-candidates.jsonl"
    path.write_text(candidates_jsonl(rows), encoding="utf-8")
    logged = sum(r.question is not None for r in rows)
    summary = (f"**{len(rows)} disliked answer{'s' if len(rows) != 1 else ''}**, {logged} with the question "
               "(questions are kept only when FORAMEN_LOG_QUESTIONS is on). The JSONL holds golden-set candidates "
               "with an empty `expect` to fill in; the live answers do not change.")
    return FeedbackView(summary, feedback_table(rows), path)

