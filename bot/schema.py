"""Data passed between pipeline stages: Section, Chunk, Hit, Source, Answer."""
from __future__ import annotations

from dataclasses import dataclass, field

PATH_SEP = " › "


@dataclass(frozen=True)
class Chunk:
    """One section paragraph or one list entry, with provenance into its article."""

    id: str
    doc: str
    section: tuple[str, ...]  # heading path, e.g. ("Diagnostic Tests", "E. Imaging Tests")
    title: str  # entry title, or the section heading for prose
    text: str  # cleaned, quotable text (no glued source names, no bullet dashes)
    kind: str  # "entry" or "prose"
    start: int  # character offsets of the whole chunk in the raw article
    end: int
    cited: tuple[str, ...] = ()
    quote: str = ""  # what an answer quotes: "Title: body" for inline entries, else the text
    group: str = ""  # sentences of one paragraph share a group id; entries have none

    @property
    def section_path(self) -> str:
        return PATH_SEP.join(self.section)

    @property
    def citation(self) -> str:
        if self.kind == "entry":
            return PATH_SEP.join((*self.section, self.title))
        return self.section_path


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score, higher is better
    dense: float  # cosine similarity
    lexical: float  # BM25 score


@dataclass(frozen=True)
class Source:
    section: str
    title: str
    quote: str
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # markdown: verbatim article text, citations, short connectives
    sources: tuple[Source, ...]
    abstained: bool
    urgent: bool
    disclaimer: str
    intent: str = "lookup"
    quotes: tuple[str, ...] = field(default=())  # every article fragment stated in `answer`
    suggestions: tuple[str, ...] = field(default=())  # closest covered topics, for abstentions
    notice: str = ""  # e.g. "your question was shortened"

    def to_json(self) -> dict[str, object]:
        """The public JSON shape shared by the CLI, the HTTP API and evaluators."""
        return {
            "question": self.question,
            "answer": self.answer,
            "sources": [
                {"section": s.section, "title": s.title, "quote": s.quote, "score": round(s.score, 4)}
                for s in self.sources
            ],
            "abstained": self.abstained,
            "urgent": self.urgent,
            "disclaimer": self.disclaimer,
        }
