"""Report stage: self-contained HTML (inline CSS and SVG) for coverage and eval runs, and eval-run diffs."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from .coverage import STATUSES, Coverage, cite
from .errors import InputError
from .evaluate import Result, summarise

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;width:100%}th,td{border:1px solid #ccc;padding:3px 6px;
vertical-align:top}th{background:#f3f3f3;text-align:left}td.n{text-align:right}
.answer{white-space:pre-wrap;background:#fafafa;border-left:3px solid #ccc;padding:4px 8px;margin:4px 0}
.fail{border:1px solid #e3b4b4;border-radius:4px;padding:6px 10px;margin:10px 0}
.miss{color:#b00020}.top3{color:#a66b00}.first{color:#1a7f37}small{color:#666}
"""
COLOURS = {"first": "#2e9e4f", "top3": "#e0a526", "missed": "#d64545"}
LABELS = {"first": "first", "top3": "top-3", "missed": "missed"}


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def _label_width(labels: Sequence[str]) -> int:
    return min(560, 20 + 7 * max((len(s) for s in labels), default=10))


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], parts: Sequence[str], width: int = 360) -> str:
    """Horizontal 100%-stacked bar per row; `parts` names each segment (keys of COLOURS)."""
    lw, bar_h, gap = _label_width([r[0] for r in rows]), 16, 6
    height = 30 + len(rows) * (bar_h + gap)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + width + 60}" height="{height}" role="img">']
    x = lw
    for p in parts:  # legend
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[p]}"/>'
                   f'<text x="{x + 16}" y="14" font-size="12">{escape(LABELS[p])}</text>')
        x += 80
    for i, (label, counts) in enumerate(rows):
        y = 26 + i * (bar_h + gap)
        total = sum(counts) or 1
        out.append(f'<text x="{lw - 6}" y="{y + 12}" font-size="12" text-anchor="end">{escape(label)}</text>')
        x0 = float(lw)
        for p, n in zip(parts, counts, strict=True):
            w = width * n / total
            if w:
                out.append(f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[p]}">'
                           f"<title>{escape(label)}: {n} {escape(LABELS[p])}</title></rect>")
            x0 += w
        out.append(f'<text x="{lw + width + 6}" y="{y + 12}" font-size="11">{counts[0]}/{sum(counts)}</text>')
    out.append("</svg>")
    return "".join(out)


def accuracy_bars(rows: Sequence[tuple[str, int, int]], width: int = 360) -> str:
    """Horizontal bar per (label, passed, n): the passed share in green over a grey full-width track."""
    lw, bar_h, gap = _label_width([r[0] for r in rows]), 18, 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + width + 110}" '
           f'height="{10 + len(rows) * (bar_h + gap)}" role="img">']
    for i, (label, passed, n) in enumerate(rows):
        y = 6 + i * (bar_h + gap)
        w = width * passed / n if n else 0
        out.append(f'<text x="{lw - 6}" y="{y + 13}" font-size="12" text-anchor="end">{escape(label)}</text>'
                   f'<rect x="{lw}" y="{y}" width="{width}" height="{bar_h}" fill="#eee"/>'
                   f'<rect x="{lw}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS["first"]}">'
                   f"<title>{escape(label)}: {passed}/{n}</title></rect>"
                   f'<text x="{lw + width + 6}" y="{y + 13}" font-size="12">'
                   f"{passed / n if n else 0:.1%} ({passed}/{n})</text>")
    out.append("</svg>")
    return "".join(out)


def coverage_html(cov: Coverage) -> str:
    """The coverage report page: charts, per-section table, misses with what came back, golden gaps."""
    n = len(cov.entries)
    body = [f"<p>{n} entries probed; “What is” probe answered first for <b>{cov.share('first'):.1%}</b>, "
            f"in the top 3 for {cov.share('top3'):.1%}, missed for {cov.share('missed'):.1%}. All entry probes: "
            f"{cov.share('first', 'probes'):.1%} / {cov.share('top3', 'probes'):.1%} / "
            f"{cov.share('missed', 'probes'):.1%}. Golden set: {cov.golden_passed}/{cov.golden_n} passed.</p>",
            "<h2>“What is &lt;entry&gt;?” probe per section</h2>",
            stacked_bars([(r.section, [r.what[s] for s in STATUSES]) for r in cov.rows], STATUSES),
            "<h2>All entry probes per section</h2>",
            stacked_bars([(r.section, [r.probes[s] for s in STATUSES]) for r in cov.rows], STATUSES),
            "<h2>Per section</h2><table><tr><th>section</th><th>entries</th><th>what: first</th><th>top-3</th>"
            "<th>missed</th><th>all: first</th><th>top-3</th><th>missed</th><th>list probe</th>"
            "<th>golden-covered</th></tr>"]
    for r in cov.rows:
        lst = "–"
        if r.listing:
            lst = f"{escape(r.listing.result.probe.question)} <small>{r.listing.listed}/{r.listing.entries} listed"
            lst += ("" if r.listing.result.rank == 1 else "; answered from another section") + "</small>"
        cells = [r.what[s] for s in STATUSES] + [r.probes[s] for s in STATUSES]
        body.append(f"<tr><td>{escape(r.section)}</td><td class=n>{r.entries}</td>"
                    + "".join(f"<td class=n>{c}</td>" for c in cells)
                    + f"<td>{lst}</td><td class=n>{r.golden}/{r.entries}</td></tr>")
    body.append("</table><h2>Probes not answered first</h2><table><tr><th>entry</th><th>probe</th>"
                "<th>status</th><th>came back instead (top 3)</th></tr>")
    for e in cov.entries:
        for p in e.probes:
            if p.status != "first":
                got = "abstained" if p.abstained else "<br>".join(escape(s) for s in p.returned) or "no sources"
                cls = "miss" if p.status == "missed" else "top3"
                body.append(f"<tr><td>{escape(e.chunk.citation)}</td><td>{escape(p.probe.question)}</td>"
                            f"<td class={cls}>{LABELS[p.status]}</td><td>{got}</td></tr>")
    body.append("</table><h2>Entries no golden question covers</h2><ul>")
    body += [f"<li>{escape(e.chunk.citation)}</li>" for e in cov.entries if not e.golden]
    body.append("</ul>")
    return _page("Entry coverage", "\n".join(body))


def _pct(sorted_ms: Sequence[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))]


def eval_html(results: Sequence[Result]) -> str:
    """The eval report page: per-kind accuracy chart, latency figures, every failure in full."""
    if not results:
        raise InputError("no eval results to report; the golden file held no questions")
    s = summarise(list(results))
    lat = sorted(r.latency_ms for r in results)
    kinds = [(k, v["passed"], v["n"]) for k, v in s["kinds"].items()]
    passed = sum(r.passed for r in results)
    body = [f"<p>Overall <b>{s['overall']:.1%}</b> ({passed}/{len(results)}). Latency p50 {_pct(lat, 0.5):.1f} ms, "
            f"p95 {_pct(lat, 0.95):.1f} ms, max {lat[-1]:.1f} ms.</p>",
            "<h2>Accuracy per kind</h2>", accuracy_bars([*kinds, ("overall", passed, len(results))]),
            f"<h2>Failures ({len(results) - passed})</h2>"]
    for r in results:
        if r.passed:
            continue
        srcs = r.answer.get("sources", [])[:3]
        got = "<br>".join(escape(cite(x["section"], x["title"])) for x in srcs) or "none"
        hist = "".join(f"<li>{escape(h)}</li>" for h in r.item.history)
        body.append(
            f'<div class="fail"><b>{escape(r.item.id)}</b> [{escape(r.item.kind)}] {escape(r.item.question)}'
            + (f"<br><small>history:</small><ol>{hist}</ol>" if hist else "")
            + f"<table><tr><th>expected section</th><td>{escape(str(r.item.expect.get('section') or '—'))}</td></tr>"
            f"<tr><th>returned sections (top 3)</th><td>{got}</td></tr>"
            f"<tr><th>why it failed</th><td>{'<br>'.join(escape(x) for x in r.reasons)}</td></tr>"
            f"<tr><th>expected</th><td><code>{escape(json.dumps(r.item.expect, ensure_ascii=False))}</code></td></tr>"
            f"</table><div class=answer>{escape(str(r.answer.get('answer', '')))}</div>"
            f"<small>{r.latency_ms:.1f} ms</small></div>")
    return _page("Golden-set evaluation", "\n".join(body))


def eval_report(results: Sequence[Result], path: str | Path) -> Path:
    """Write the eval report to `path`; return the path. Raises InputError when it cannot be written."""
    return _write(eval_html(results), path)


def _write(text: str, path: str | Path) -> Path:
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write report {path}: {exc.strerror}; choose another --out/--report path") from exc
    return path


def write_coverage(cov: Coverage, path: str | Path) -> Path:
    return _write(coverage_html(cov), path)


@dataclass(frozen=True)
class Diff:
    accuracy: tuple[float, float]
    n: tuple[int, int]
    broke: tuple[str, ...]  # passed in a, failed in b
    fixed: tuple[str, ...]  # failed in a, passed in b
    only: tuple[tuple[str, ...], tuple[str, ...]]  # ids present in one run only


def load_run(path: str | Path) -> dict[str, bool]:
    """Read an `eval --json` file as {id: passed}; raises InputError naming what is wrong."""
    path = Path(path)
    try:
        rows: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list) or not rows:
            raise ValueError("expected a non-empty JSON list")
        return {str(r["id"]): bool(r["passed"]) for r in rows}
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist; write one with python -m bot eval FILE --json {path}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not an `eval --json` output ({exc}); expected a list of "
                         '{"id": ..., "passed": ...} objects') from exc


def diff_runs(a: dict[str, bool], b: dict[str, bool]) -> Diff:
    """Compare two runs by question id."""
    both = [i for i in a if i in b]
    return Diff(
        accuracy=(sum(a.values()) / len(a), sum(b.values()) / len(b)),
        n=(len(a), len(b)),
        broke=tuple(i for i in both if a[i] and not b[i]),
        fixed=tuple(i for i in both if not a[i] and b[i]),
        only=(tuple(i for i in a if i not in b), tuple(i for i in b if i not in a)),
    )


def diff_text(d: Diff, names: tuple[str, str] = ("a", "b")) -> str:
    lines = [f"{names[0]}: {d.accuracy[0]:.1%} of {d.n[0]}", f"{names[1]}: {d.accuracy[1]:.1%} of {d.n[1]}",
             f"pass->fail ({len(d.broke)}): {' '.join(d.broke) or '-'}",
             f"fail->pass ({len(d.fixed)}): {' '.join(d.fixed) or '-'}"]
    for name, ids in zip(names, d.only, strict=True):
        if ids:
            lines.append(f"only in {name} ({len(ids)}): {' '.join(ids)}")
    return "\n".join(lines)
