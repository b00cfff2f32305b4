"""Question stage: clean, correct and expand a question, find what it names, resolve follow-ups from history."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from .lexicon import STOPWORDS, Synonym, Vocabulary, fold, stem, words
from .schema import Chunk

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
COUNT_CUE = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b")
LIST_CUE = re.compile(
    r"\b(what|which) (are|were) (the |all |some |your )?|\blist\b|\b(all|every) (the )?|\bwhat (kinds?|types?|sorts?)\b"
    r"|\bwhich\b|\boptions\b|\bways\b|\bname (the|all|some)\b|\bwhat (can|should) i do\b|\bwhat helps\b"
    r"|\bwhat (tests?|medications?|medicines?|drugs?|supplements?|exercises?|surger(y|ies)|treatments?)\b"
)
DOSE_CUE = re.compile(
    r"\bdos(e|es|age|ing)\b|\bhow much\b|\bhow many (mg|milligrams?|pills?|tablets?|grams?)\b|\bmg\b|\bmax(imum)?\b"
    r"|\bhow often\b.*\btake\b|\btake \d|\bmcg\b|\biu\b|\b\d+\s*(mg|g|mcg|iu|ml)\b|\bhow (many|much) .*\b(day|daily)\b"
)
ANAPHORA = re.compile(
    r"^\s*(and|what about|how about|also)\b|\b(it|its|it's|this|that|these|those|them|they|one|ones|same)\b"
)
GENERIC_NAME_WORDS = frozenset(stem(w) for w in "test tests therapy pain disease syndrome".split())
DOSE_PATTERN = re.compile(r"\d[\d.,–-]*\s*(mg|g|mcg|iu|ml|million)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """A question made ready for retrieval and answering."""

    question: str  # as asked, cleaned of control characters and bounded
    text: str  # corrected and expanded: what the retrievers see
    intent: str  # "count" | "list" | "dose" | "lookup"
    section: tuple[str, ...] | None  # a section the question is about (lists, counts, "which one" follow-ups)
    entries: tuple[str, ...]  # ids of entries the question names, best first
    known: float  # share of content words the article or synonym table knows
    narrowed: bool = False  # a "which one ..." question: rank only inside `section`
    notice: str = ""
    resolved_from: str = ""  # the earlier question a follow-up took its subject from


def clean(text: str, limit: int) -> tuple[str, str]:
    """Strip control characters and bound the length; return (text, notice)."""
    text = CONTROL.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        return text[:limit], f"Your question was shortened to its first {limit} characters."
    return text, ""


class Understander:
    """Article-derived tables (vocabulary, entry names, section headings) used to read questions."""

    def __init__(self, chunks: list[Chunk], synonyms: tuple[Synonym, ...]) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.synonyms = synonyms
        self.vocab = Vocabulary([f"{c.title} {c.text} {' '.join(c.section)}" for c in chunks])
        self.lay_words = {w for s in synonyms for w in s.phrase}
        self.sections = self._list_sections(chunks)
        self.dosed = self._dosed_sections(chunks)
        self.names = self._entry_names(chunks)
        df = Counter(w for _, ws in self.names for w in set(ws))
        self.name_df = df

    # ---- tables built once from the article -------------------------------------------------------------
    @staticmethod
    def _list_sections(chunks: list[Chunk]) -> dict[tuple[str, ...], list[Chunk]]:
        out: dict[tuple[str, ...], list[Chunk]] = {}
        for c in chunks:
            if c.kind != "entry":
                continue
            for depth in range(1, len(c.section) + 1):
                out.setdefault(c.section[:depth], []).append(c)
        return out

    def _dosed_sections(self, chunks: list[Chunk]) -> set[tuple[str, ...]]:
        return {
            path
            for path, entries in self.sections.items()
            if sum(bool(DOSE_PATTERN.search(e.text)) for e in entries) >= 0.6 * len(entries)
        }

    @staticmethod
    def _entry_names(chunks: list[Chunk]) -> list[tuple[str, list[str]]]:
        """(chunk id, stemmed name words) for every way an entry can be named: title, base name, acronym."""
        out = []
        for c in chunks:
            if c.kind != "entry" or len(c.title.split()) > 7 or c.title.endswith("?"):
                continue
            variants = {c.title, re.sub(r"\s*\(.*?\)", "", c.title)}
            for inner in re.findall(r"\((.*?)\)", c.title):
                variants.add(inner)
            for part in re.split(r"[/&]| or ", re.sub(r"\s*\(.*?\)", "", c.title)):
                if len(part.split()) >= 1 and part.strip():
                    variants.add(part)
            for v in variants:
                ws = [stem(w) for w in words(v) if w not in STOPWORDS]
                if ws:
                    out.append((c.id, ws))
        return out

    # ---- reading one question -----------------------------------------------------------------------------
    def correct(self, text: str) -> list[str]:
        return [w if w in self.lay_words else self.vocab.correct(w) for w in words(text)]

    def expand(self, toks: list[str]) -> str:
        joined = f" {' '.join(toks)} "
        extra = [s.expansion for s in self.synonyms if f" {' '.join(s.phrase)} " in joined]
        return " ".join([*toks, *extra])

    def known_share(self, toks: list[str]) -> float:
        content = [w for w in toks if w not in STOPWORDS and not w.isdigit()]
        if not content:
            return 0.0
        return sum(w in self.vocab or w in self.lay_words for w in content) / len(content)

    def find_entries(self, toks: list[str]) -> tuple[str, ...]:
        """Entries named in the question: every word of a name present, or a word unique to one entry."""
        have = {stem(w) for w in toks if w not in STOPWORDS}
        scored: dict[str, tuple[float, int]] = {}
        for cid, ws in self.names:
            hit = [w for w in ws if w in have]
            if not hit:
                continue
            full = len(hit) == len(ws)
            unique = any(self.name_df[w] == 1 and w not in GENERIC_NAME_WORDS and len(w) >= 4 for w in hit)
            if not (full or unique):
                continue
            if full and len(ws) == 1 and ws[0] in GENERIC_NAME_WORDS:
                continue
            key = (len(hit) / len(ws) + (1.0 if full else 0.0), len(hit))
            if key > scored.get(cid, (0.0, 0)):
                scored[cid] = key
        ranked = sorted(scored, key=lambda cid: scored[cid], reverse=True)
        if not ranked:
            return ()
        best = scored[ranked[0]]
        return tuple(cid for cid in ranked if scored[cid] == best)

    def find_section(self, text: str) -> tuple[tuple[str, ...] | None, float]:
        """The listable section whose heading words the question covers best; (path, share of heading)."""
        have = {stem(w) for w in words(text) if w not in STOPWORDS}
        best: tuple[tuple[str, ...] | None, tuple[float, float, int]] = (None, (0.0, 0.0, 0))
        for path in self.sections:
            head = re.sub(r"^[A-Z]\.\s+", "", path[-1])
            ws = {stem(w) for w in words(head) if w not in STOPWORDS}
            if not ws:
                continue
            idf = {w: math.log(1 + len(self.sections) / (1 + self._heading_df(w))) for w in ws}
            got = sum(idf[w] for w in ws if w in have)
            share = got / sum(idf.values())
            key = (share, got, -len(path))
            if got > 0 and key > best[1]:
                best = (path, key)
        return best[0], best[1][0]

    def _heading_df(self, w: str) -> int:
        if not hasattr(self, "_hdf"):
            self._hdf = Counter(
                s for p in self.sections for s in {stem(x) for x in words(re.sub(r"^[A-Z]\.\s+", "", p[-1]))}
            )
        return self._hdf[w]

    def read(self, question: str, limit: int) -> Query:
        """Turn one question (no history) into a Query."""
        q, notice = clean(question, limit)
        toks = self.correct(q)
        text = self.expand(toks)
        folded = " ".join(words(fold(q)))
        corrected = " ".join(toks)
        entries = self.find_entries(text.split())
        section, share = self.find_section(text)
        if share < 0.5:
            section = None
        intent = "lookup"
        if section and COUNT_CUE.search(folded):
            intent = "count"
        elif DOSE_CUE.search(corrected) and (
            any(self.chunks[e].section in self.dosed for e in entries) or (not entries and section in self.dosed)
        ):
            intent = "dose"
        elif section and not entries and LIST_CUE.search(corrected):
            intent = "list"
        narrowed = False
        if intent == "list" and section is not None:
            # "Which supplement is best for bones?": words beyond the heading and cue narrow the list to a pick
            head = {stem(w) for w in words(" ".join(section))}
            syn_heads = {stem(w) for s in self.synonyms for w in words(s.expansion) if stem(w) in head}
            rest = [w for w in toks if w not in STOPWORDS and stem(w) not in head | syn_heads
                    and not LIST_CUE.fullmatch(w) and w not in {"list", "all", "every", "used", "listed",
                                                                 "mentioned", "article", "available", "recommended",
                                                                 "common", "main", "different", "possible",
                                                                 "kinds", "kind", "types", "type", "name",
                                                                 "options", "ways", "give", "show", "help", "helps"}]
            if rest:
                narrowed = True
        return Query(q, text, intent, section, entries, self.known_share(toks), narrowed, notice)

    def read_with_history(self, question: str, history: list[str], limit: int, max_history: int) -> Query:
        """Read a question; if it leans on the conversation ('its dose?', 'and X?'), borrow the subject."""
        query = self.read(question, limit)
        recent = [h for h in history[-max_history:] if isinstance(h, str) and h.strip()]
        if not recent:
            return query
        folded = " ".join(words(query.question))
        leans = bool(ANAPHORA.search(folded)) or len([w for w in words(folded) if w not in STOPWORDS]) <= 3
        if not leans:
            return query
        for earlier in reversed(recent):
            prev = self.read(earlier, limit)
            if not (prev.entries or prev.section):
                continue
            if query.entries:  # "And the Valsalva maneuver?": new subject, the earlier question's aim
                if query.intent == "lookup" and prev.intent == "dose" and any(
                    self.chunks[e].section in self.dosed for e in query.entries
                ):
                    return replace(query, intent="dose", resolved_from=earlier)
                return query
            if prev.entries:
                intent = query.intent if query.intent != "lookup" else ("dose" if DOSE_CUE.search(folded) else "lookup")
                if intent == "dose" and not any(self.chunks[e].section in self.dosed for e in prev.entries):
                    intent = "lookup"
                names = " ".join(self.chunks[e].title for e in prev.entries[:1])
                return replace(query, entries=prev.entries[:1], intent=intent, text=f"{query.text} {names}",
                               resolved_from=earlier)
            if prev.section and not query.section:
                heading = " ".join(prev.section)
                intent = "count" if COUNT_CUE.search(folded) else "list"
                return replace(query, section=prev.section, narrowed=intent == "list", intent=intent,
                               text=f"{query.text} {heading}", resolved_from=earlier)
        return query
