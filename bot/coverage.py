"""Coverage stage: probe every article entry with questions built from the article's own structure."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .evaluate import GoldenItem, norm, run_golden
from .schema import Answer, Chunk

DOSE = re.compile(r"\d+\s*(?:mg|g|mcg|IU|mL)\b")
PAREN_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
LETTER = re.compile(r"^[A-Z]\.\s+")  # "A. Physical Examination" -> "Physical Examination"
STATUSES = ("first", "top3", "missed")
EXPECT_TEXT = ("section", "contains_any", "contains_all", "items")


@dataclass(frozen=True)
class Probe:
    kind: str  # "what", "use", "dose" (about one entry) or "list" (about one section)
    question: str
    target: str  # chunk id for entry probes, section path for list probes


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    rank: int  # 1-based position of the target among the answer's sources; 0 when absent
    returned: tuple[str, ...]  # citations of the top-3 sources, what came back instead of a miss
    abstained: bool

    @property
    def status(self) -> str:
        return "first" if self.rank == 1 else "top3" if 1 < self.rank <= 3 else "missed"


@dataclass(frozen=True)
class EntryCoverage:
    chunk: Chunk
    what: ProbeResult  # the "What is <entry>?" probe
    probes: tuple[ProbeResult, ...]  # every entry probe, `what` included
    golden: bool  # some golden question covers this entry


@dataclass(frozen=True)
class ListCoverage:
    result: ProbeResult  # rank 1 when the answer's first source is in the section
    listed: int  # section entries whose title appears in the answer text
    entries: int


@dataclass(frozen=True)
class SectionRow:
    section: str
    entries: int
    what: dict[str, int]  # entries per status of their "What is" probe
    probes: dict[str, int]  # entry probes per status, all probe kinds
    golden: int  # entries some golden question covers
    listing: ListCoverage | None


@dataclass(frozen=True)
class Coverage:
    rows: tuple[SectionRow, ...]
    entries: tuple[EntryCoverage, ...]
    golden_n: int
    golden_passed: int

    def share(self, status: str, by: str = "what") -> float:
        """Share of entries (by="what") or of entry probes (by="probes") with this status."""
        counts = [getattr(r, by)[status] for r in self.rows]
        total = sum(sum(getattr(r, by).values()) for r in self.rows)
        return sum(counts) / total if total else 0.0


def entry_name(title: str) -> str:
    """The name a reader would ask about: 'Ibuprofen (NSAID)' -> 'Ibuprofen'."""
    return PAREN_TAIL.sub("", title).strip() or title


def sentence_like(c: Chunk) -> bool:
    """A title that is itself a sentence (prevention advice, do/avoid, FAQ question), not a label."""
    return c.title.rstrip().endswith("?") or (len(c.title.split()) >= 4 and c.text.startswith(c.title))


def heading(section: tuple[str, ...]) -> str:
    return PAREN_TAIL.sub("", LETTER.sub("", section[-1])).strip()


def entry_probes(c: Chunk) -> list[Probe]:
    """The probe questions for one entry chunk; the first is always the 'What is' probe."""
    if sentence_like(c):
        return [Probe("what", c.title, c.id)]  # "What is <a sentence>?" reads as nonsense
    name = entry_name(c.title)
    out = [Probe("what", f"What is {name}?", c.id), Probe("use", f"What is {name} used for?", c.id)]
    if DOSE.search(c.text):
        out.append(Probe("dose", f"What is the dose of {name}?", c.id))
    return out


def list_probes(chunks: Iterable[Chunk]) -> list[Probe]:
    """One 'What are the <heading>?' probe per section holding two or more entries."""
    counts: dict[tuple[str, ...], int] = {}
    for c in chunks:
        if c.kind == "entry":
            counts[c.section] = counts.get(c.section, 0) + 1
    return [Probe("list", f"What are the {heading(s).lower()}?", " › ".join(s)) for s, n in counts.items() if n >= 2]


def cite(section: str, title: str) -> str:
    """'Section › Title', or just the section for a paragraph titled by its own heading."""
    return section if section.rsplit(" › ", 1)[-1] == title else f"{section} › {title}"


def _rank(ans: Answer, section: str, title: str | None) -> int:
    for i, s in enumerate(ans.sources, 1):
        if s.section == section and (title is None or s.title == title):
            return i
    return 0


def _result(probe: Probe, ans: Answer, section: str, title: str | None) -> ProbeResult:
    returned = tuple(cite(s.section, s.title) for s in ans.sources[:3])
    rank = 0 if ans.abstained else _rank(ans, section, title)
    return ProbeResult(probe, rank, returned, ans.abstained)


def golden_entries(chunks: Sequence[Chunk], items: Sequence[GoldenItem], results: Iterable[Any]) -> set[str]:
    """Ids of entries a golden question covers: a top-3 source of a passing answer, or named in an expect."""
    by_cite = {(c.section_path, c.title): c.id for c in chunks if c.kind == "entry"}
    covered = set()
    for r in results:
        if r.passed:
            for s in r.answer.get("sources", [])[:3]:
                if (s["section"], s["title"]) in by_cite:
                    covered.add(by_cite[(s["section"], s["title"])])
    for item in items:
        texts = []
        for key in EXPECT_TEXT:
            v = item.expect.get(key)
            texts += [v] if isinstance(v, str) else [t for t in v or [] if isinstance(t, str)]
        hay = " | ".join(norm(t) for t in texts)
        sec = item.expect.get("section")
        for c in chunks:
            if c.kind != "entry" or (sec and norm(sec) not in norm(c.section_path)):
                continue
            names = {norm(c.title), norm(entry_name(c.title))}
            if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", hay) for n in names if n):
                covered.add(c.id)
    return covered


def run_coverage(engine: Any, golden: Sequence[GoldenItem] = (),
                 progress: Callable[[int, int], None] | None = None) -> Coverage:
    """Ask every probe (and every golden question) through engine.ask; return per-entry and per-section coverage.

    `progress(done, total)` is called after each probe and golden question.
    """
    chunks = [c for c in engine.ensure_index().chunks if c.kind == "entry"]
    plan = [(c, entry_probes(c)) for c in chunks]
    lists = list_probes(chunks)
    total = sum(len(p) for _, p in plan) + len(lists) + len(golden)
    done = 0

    def tick(*_: object) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    results: dict[str, list[ProbeResult]] = {}
    for c, probes in plan:
        for p in probes:
            results.setdefault(c.id, []).append(_result(p, engine.ask(p.question), c.section_path, c.title))
            tick()
    listing: dict[str, ListCoverage] = {}
    for p in lists:
        ans = engine.ask(p.question)
        members = [c for c in chunks if c.section_path == p.target]
        text = norm(ans.answer)
        listed = sum(norm(c.title) in text for c in members)
        listing[p.target] = ListCoverage(_result(p, ans, p.target, None), listed, len(members))
        tick()
    golden_results = run_golden(engine, list(golden), progress=lambda *_: tick()) if golden else []
    covered = golden_entries(chunks, golden, golden_results)

    entries = tuple(EntryCoverage(c, results[c.id][0], tuple(results[c.id]), c.id in covered) for c in chunks)
    rows = []
    for section in dict.fromkeys(c.section_path for c in chunks):
        mine = [e for e in entries if e.chunk.section_path == section]
        what = {s: sum(e.what.status == s for e in mine) for s in STATUSES}
        per_probe = {s: sum(p.status == s for e in mine for p in e.probes) for s in STATUSES}
        rows.append(SectionRow(section, len(mine), what, per_probe, sum(e.golden for e in mine), listing.get(section)))
    return Coverage(tuple(rows), entries, len(golden_results), sum(r.passed for r in golden_results))


def _pct(n: int, d: int) -> str:
    return f"{n / d:.0%}" if d else "–"


def to_markdown(cov: Coverage) -> str:
    """The stdout summary: per-section table, the misses with what came back, and golden gaps."""
    out = ["| section | entries | what: first | top-3 | missed | all probes: first | top-3 | missed "
           "| list probe | golden |", "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in cov.rows:
        n, m = r.entries, sum(r.probes.values())
        lst = (f"{r.listing.listed}/{r.listing.entries}" + ("" if r.listing.result.rank == 1 else " (off)")
               if r.listing else "–")
        out.append(f"| {r.section} | {n} | {_pct(r.what['first'], n)} | {_pct(r.what['top3'], n)} "
                   f"| {_pct(r.what['missed'], n)} | {_pct(r.probes['first'], m)} | {_pct(r.probes['top3'], m)} "
                   f"| {_pct(r.probes['missed'], m)} | {lst} | {r.golden}/{n} |")
    n = len(cov.entries)
    out.append(f"| **all** | {n} | {cov.share('first'):.1%} | {cov.share('top3'):.1%} | {cov.share('missed'):.1%} "
               f"| {cov.share('first', 'probes'):.1%} | {cov.share('top3', 'probes'):.1%} "
               f"| {cov.share('missed', 'probes'):.1%} | | {sum(r.golden for r in cov.rows)}/{n} |")
    out += ["", f"Golden set: {cov.golden_passed}/{cov.golden_n} passed.", "", "## Probes not answered first"]
    for e in cov.entries:
        for p in e.probes:
            if p.status != "first":
                got = "abstained" if p.abstained else "; ".join(p.returned) or "no sources"
                out.append(f"- [{p.status}] {e.chunk.citation} — {p.probe.question!r} → {got}")
    out += ["", "## Entries no golden question covers"]
    out += [f"- {e.chunk.citation}" for e in cov.entries if not e.golden]
    return "\n".join(out)
