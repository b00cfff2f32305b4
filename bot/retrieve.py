"""Retrieval stage: dense (FAISS) + lexical (BM25) search, rank fusion, and the out-of-scope decision."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from dataclasses import dataclass

import numpy as np

from .index import Index
from .lexicon import tokenize_for_bm25
from .schema import Chunk, Hit

RRF_K = 10  # small k: the first few ranks of each retriever matter most on a 200-chunk corpus


@dataclass(frozen=True)
class Scope:
    """Signals for the out-of-scope decision, and the calibrated threshold they are compared with."""

    dense: float  # best cosine of the question against any chunk
    known: float  # share of the question's content words that the article (or the synonym table) knows
    score: float  # combined in-scope score

    def in_scope(self, threshold: float) -> bool:
        return self.score >= threshold


def scope_score(dense: float, known: float) -> float:
    """One number for 'does the article speak to this': semantic closeness, damped by unknown words."""
    return dense * (0.5 + 0.5 * known)


class Retriever:
    """Holds the index and the query encoder; search() ranks chunks for one question."""

    def __init__(self, index: Index, encode: Callable[[list[str]], np.ndarray]) -> None:
        self.index = index
        self.encode = encode
        self.n = len(index.chunks)

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question with every chunk, via the exact FAISS inner-product index."""
        sims, ids = self.index.faiss.search(vector.reshape(1, -1).astype(np.float32), self.n)
        out = np.full(self.n, -1.0, dtype=np.float32)
        out[ids[0]] = sims[0]
        return out

    def lexical_scores(self, text: str) -> np.ndarray:
        return np.asarray(self.index.bm25.get_scores(tokenize_for_bm25(text)), dtype=np.float32)

    def search(
        self,
        vector: np.ndarray,
        lexical_text: str,
        k: int = 5,
        keep: Callable[[Chunk], bool] | None = None,
    ) -> list[Hit]:
        """Fuse dense and lexical rankings (reciprocal rank fusion); keep only chunks passing `keep`."""
        dense = self.dense_scores(vector)
        lex = self.lexical_scores(lexical_text)
        allowed = np.array([keep is None or keep(c) for c in self.index.chunks])
        if not allowed.any():
            return []
        fused = np.zeros(self.n, dtype=np.float64)
        for scores in (dense, lex):
            masked = np.where(allowed, scores, -np.inf)
            order = np.argsort(-masked, kind="stable")
            ranks = np.empty(self.n, dtype=np.float64)
            ranks[order] = np.arange(1, self.n + 1)
            contrib = 1.0 / (RRF_K + ranks)
            if scores is lex:
                contrib[lex <= 0] = 0.0  # no shared word is no lexical evidence at all
            fused += contrib
        fused[~allowed] = -np.inf
        top = np.argsort(-fused, kind="stable")[: min(k, int(allowed.sum()))]
        return [Hit(self.index.chunks[i], float(fused[i]), float(dense[i]), float(lex[i])) for i in top]


def calibrate(index: Index, encode: Callable[[list[str]], np.ndarray], understander, offtopic: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Pick the in-scope threshold from probes: questions built from the article's own entry titles and
    headings (answerable) against the off-topic questions in corpus/offtopic.list (not answerable).

    The threshold sits midway between the two score distributions' facing tails, so it moves with the corpus.
    """
    answerable = sorted({f"What is {c.title}?" for c in index.chunks if c.kind == "entry" and len(c.title) < 60}
                        | {f"Tell me about {c.section[-1]}" for c in index.chunks})
    unanswerable = [ln.strip() for ln in offtopic.read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.startswith("#")] if offtopic.exists() else []
    retriever = Retriever(index, encode)

    def scores(questions: list[str]) -> np.ndarray:
        out = []
        texts = [understander.read(q, 2000).text for q in questions]
        vecs = encode(texts) if texts else np.zeros((0, index.vectors.shape[1]), dtype=np.float32)
        for q, v in zip(questions, vecs, strict=True):
            dense = float(retriever.dense_scores(v).max())
            out.append(scope_score(dense, understander.read(q, 2000).known))
        return np.asarray(out)

    pos = scores(answerable)
    neg = scores(unanswerable)
    if len(neg) == 0:
        return {"threshold": float(np.percentile(pos, 1)) * 0.9, "answerable": len(pos), "offtopic": 0}
    lo, hi = float(np.percentile(pos, 5)), float(np.percentile(neg, 95))
    threshold = (lo + hi) / 2
    return {
        "threshold": round(threshold, 4),
        "answerable": len(pos),
        "offtopic": len(neg),
        "answerable_p5": round(lo, 4),
        "offtopic_p95": round(hi, 4),
        "answerable_below": int((pos < threshold).sum()),
        "offtopic_above": int((neg >= threshold).sum()),
    }
