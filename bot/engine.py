"""Engine: wires the stages together and holds the loaded state (index, encoders, article tables)."""
from __future__ import annotations

import fcntl
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from . import index as index_mod
from .answer import Context, compose
from .config import Config, load_config
from .corpus import load_corpus
from .cues import ALL_CUE, LIST_OBJECT, LIST_REQUEST
from .embed import DIMENSION, MODEL_NAME, StEncoder, model_path, query_encoder
from .errors import IndexError_
from .lexicon import load_synonyms, load_word_list
from .query import Query, Understander
from .rerank import rerank, states_what_is_asked
from .retrieve import Retriever, calibrate, in_scope
from .schema import Answer, Chunk, Hit
from .triage import red_flags

INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above|previous|prior)\b|\bsystem prompt\b"
    r"|\byou are now\b|\bjailbreak\b|\bpretend (to be|you are)\b|\bact as\b|\bdeveloper mode\b",
    re.IGNORECASE,
)

Progress = Callable[[str], None]
# a question that restates one of the article's FAQ questions: as close in meaning as this to its title, and this
# much closer than to any other FAQ title (measured: restatements 0.62-0.79, the runner-up FAQ 0.2 lower)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FAQ_MATCH = 0.6
FAQ_MARGIN = 0.1


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Engine:
    """Answers questions about the corpus. Heavy things load on first use, once."""

    def __init__(self, config: Config | None = None, progress: Progress = _stderr, onnx: bool | None = None) -> None:
        self.config = config or load_config()
        self.progress = progress
        self.use_onnx = self.config.onnx if onnx is None else onnx
        self.problems: list[str] = []
        self._index: index_mod.Index | None = None
        self._encode: Callable[[list[str]], np.ndarray] | None = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # ---- index lifecycle ---------------------------------------------------------------------------------
    def expected_manifest(self) -> dict[str, Any]:
        return {
            "format_version": index_mod.FORMAT_VERSION,
            "model": MODEL_NAME,
            "dimension": DIMENSION,
            "corpus_sha256": index_mod.corpus_fingerprint(self.config.corpus_dir),
        }

    def ensure_index(self) -> index_mod.Index:
        """Load the index; build it when missing, stale or corrupt (saying so on the progress channel)."""
        if self._index is not None:
            return self._index
        with self._lock:
            if self._index is None:
                self._load_or_build()
        assert self._index is not None
        return self._index

    def _load_or_build(self) -> None:
        expect = self.expected_manifest()
        try:
            idx = index_mod.load(self.config.index_dir, expect)
        except IndexError_ as why:
            self.progress(f"Building the index: {why}.")
            idx = self.build(expect)
        self.problems = list(idx.manifest.get("problems", []))
        for p in self.problems:
            self.progress(f"warning: {p}")
        self._setup(idx)
        self._index = idx  # published last: other threads see a fully set-up engine or none

    def build(self, expect: dict[str, Any] | None = None) -> index_mod.Index:
        """Parse, embed, index, calibrate and export; save to disk unless the folder is read-only."""
        expect = expect or self.expected_manifest()
        t0 = time.perf_counter()
        index_dir = self.config.index_dir
        lock = None
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            lock = open(index_dir / ".build.lock", "w")  # noqa: SIM115 - held for the whole build
            fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the next one finds a fresh index
            try:
                idx = index_mod.load(index_dir, expect)
                self.progress("Another process built the index meanwhile; using it.")
                return idx
            except IndexError_:
                pass
        except OSError as exc:
            self.progress(f"warning: cannot write {index_dir} ({exc.strerror}); building the index in memory only.")
            lock = None
        try:
            docs, problems = load_corpus(self.config.corpus_dir)
            chunks = [c for d in docs for c in d.chunks]
            self.progress(f"Parsed {len(docs)} article(s) into {len(chunks)} chunks; embedding…")
            st = StEncoder()
            vectors = st.encode([index_mod.lexical_text(c) for c in chunks])
            manifest = dict(expect)
            manifest.update(
                chunk_count=len(chunks),
                documents=[{"name": d.name, "disclaimer": d.disclaimer, "chunks": len(d.chunks)} for d in docs],
                problems=problems,
            )
            idx = index_mod.make_index(chunks, vectors, manifest)
            self.progress("Calibrating the out-of-scope threshold…")
            manifest["calibration"] = self._calibrate(idx, st.encode)
            if lock is not None:
                manifest["onnx"] = self._export_onnx(st, chunks, vectors)
                index_mod.save(idx, index_dir)
            self.progress(f"Index ready: {len(chunks)} chunks in {time.perf_counter() - t0:.1f}s.")
            return idx
        finally:
            if lock is not None:
                lock.close()

    def _export_onnx(self, st: StEncoder, chunks: list[Chunk], vectors: np.ndarray) -> dict[str, Any]:
        """Export the encoder to ONNX and keep it only if it reproduces the reference embeddings."""
        if not self.use_onnx:
            return {"ok": False, "why": "disabled"}
        try:
            from .onnx_encoder import OnnxEncoder, check_equivalence, export_onnx

            self.progress("Exporting the encoder to ONNX and checking it…")
            out = self.config.index_dir / "onnx"
            onnx_path = export_onnx(model_path(), out)
            enc = OnnxEncoder(onnx_path, out / "tokenizer.json")
            texts = [index_mod.lexical_text(c) for c in chunks]
            worst = check_equivalence(enc, texts, vectors, min_cosine=0.9999)
            return {"ok": True, "min_cosine": round(float(worst), 6)}
        except Exception as exc:  # the torch path still answers; record why the fast path is off
            self.progress(f"warning: ONNX export refused ({exc}); questions will use sentence-transformers.")
            return {"ok": False, "why": str(exc)[:300]}

    def _calibrate(self, idx: index_mod.Index, encode: Callable[[list[str]], np.ndarray]) -> dict[str, float]:
        return calibrate(idx, encode, self._understander(idx), self.config.corpus_dir / "offtopic.list")

    def _understander(self, idx: index_mod.Index) -> Understander:
        corpus = self.config.corpus_dir
        return Understander(idx.chunks, load_synonyms(corpus / "synonyms.tsv"), load_word_list(corpus / "not_covered.list"),
                            load_word_list(corpus / "anchors.list"), load_word_list(corpus / "dose_populations.list"))

    def _setup(self, idx: index_mod.Index) -> None:
        self.understander = self._understander(idx)
        onnx_ok = bool(idx.manifest.get("onnx", {}).get("ok"))
        self._encode = query_encoder(self.config.index_dir, onnx_ok and self.use_onnx).encode
        self.retriever = Retriever(idx, self._encode)
        self._position = {c.id: i for i, c in enumerate(idx.chunks)}
        faqs = [c for c in idx.chunks if c.kind == "entry" and c.title.endswith("?")]
        self._faq_ids = [c.id for c in faqs]
        # compared without the article's subject: "my MRI says L1-L2 foraminal narrowing" is not "What causes
        # foraminal narrowing at L1-L2?" for sharing those words
        titles = [self.understander.without_subject(c.title) for c in faqs]
        self._faq_vectors = self._encode(titles) if faqs else np.zeros((0, DIMENSION), np.float32)
        cal = idx.manifest.get("calibration", {})
        self.threshold = float(cal.get("threshold", 0.0))
        urgent = [c for c in idx.chunks if "doctor" in c.section_path.lower() and c.kind == "prose"]
        disclaimers = idx.disclaimers
        self._disclaimers = frozenset(disclaimers.values())
        self.context = Context(
            disclaimer=next(iter(disclaimers.values()), ""),
            urgent_chunk=urgent[0] if urgent else None,
            sections=self.understander.sections,
            lead_ins=self.understander.lead_ins,
            groups=self.understander.groups,
            by_id=self.understander.chunks,
        )

    # ---- answering -----------------------------------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        """Question vector, with a small LRU cache (patients repeat the example questions)."""
        size = self.config.cache_size
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        assert self._encode is not None
        vec = self._encode([text])[0]
        with self._lock:  # the app may call ask() from several threads
            self._cache[text] = vec
            while len(self._cache) > size:
                self._cache.popitem(last=False)
        return vec

    def ask(self, question: str, history: list[str] | tuple[str, ...] = ()) -> Answer:
        """Answer one question (with earlier user questions, oldest first). Never raises for odd text."""
        self.ensure_index()
        cfg = self.config
        history = [h[: cfg.max_question_chars] for h in list(history)[-cfg.max_history :] if isinstance(h, str)]
        q = self.understander.read_with_history(str(question), history, cfg.max_question_chars, cfg.max_history)
        flags = red_flags(q.question)
        if not q.question.strip():
            return compose(q, [], False, flags, self.context)
        q = self.match_faq(q)
        hits = self.retrieve(q)
        q = self.understander.narrow_list(q, hits)
        best_dense = float(max(h.dense for h in hits)) if hits else 0.0
        ok = in_scope(q, best_dense, self.threshold) and not INJECTION.search(q.question) and states_what_is_asked(q, hits)
        return compose(q, hits, ok, flags, self.context)

    def match_faq(self, q: Query) -> Query:
        """The FAQ entry whose question (its title) the patient's question restates; its answer is then the
        answer, whatever list or count the wording suggested ("can it be handled other ways?")."""
        if q.intent == "dose" or q.named_full or len(self._faq_ids) < 2:
            return q
        asked = q.question.lower()
        if q.intent == "list" and (ALL_CUE.search(asked) or LIST_OBJECT.search(asked) or LIST_REQUEST.search(asked)
                                   or q.group):
            return q  # "list every surgery option", "what stem cell treatments are there?": the list was asked for
        sims = self._faq_vectors @ self.embed_query(self.understander.without_subject(q.text))
        # "Honestly I'm terrified of back surgery. Will I definitely need an operation?": the sentence that asks is
        # compared on its own too, the feelings around it being no part of the FAQ's question
        asking = [p for p in SENTENCE_END.split(q.question) if p.rstrip().endswith("?")]
        if asking and len(asking[-1]) < len(q.question):
            alone = self.understander.expand(self.understander.correct(asking[-1]))
            sims = np.maximum(sims, self._faq_vectors @ self.embed_query(self.understander.without_subject(alone)))
        first, second = np.argsort(-sims)[:2]
        if sims[first] < FAQ_MATCH or sims[first] - sims[second] < FAQ_MARGIN:
            return q
        faq = self._faq_ids[first]
        if q.intent == "list" and q.section and self.understander.shares_heading(q.section[0], self.understander.chunks[faq].title):
            return q  # "what can cause this?" is the Causes list; the FAQ "What causes ...?" only sums it up
        return replace(q, intent="lookup", group=(), group_name="", narrowed=False, faq=faq)

    def retrieve(self, q: Any) -> list[Hit]:
        vec = self.embed_query(q.text)
        keep = None
        if q.defines:
            keep = lambda c: c.section == ("Introduction",)  # noqa: E731
        elif q.narrowed and q.section:
            sec = q.section
            keep = lambda c: c.section[: len(sec)] == sec  # noqa: E731
        elif q.intent == "dose" and not q.entries:
            dosed = self.understander.dosed
            keep = lambda c: c.section in dosed  # noqa: E731
        # every answer already ends with the disclaimer: quoting it as the answer as well says nothing new
        disclaimers = self._disclaimers
        base = keep
        keep = lambda c: c.text not in disclaimers and (base is None or base(c))  # noqa: E731
        hits = self.retriever.search(vec, q.text, k=max(self.config.top_k, 8), keep=keep)
        return rerank(q, hits, lambda cid: self._pinned(cid, vec, hits), self.understander)

    def _pinned(self, cid: str, vec: np.ndarray, hits: list[Hit]) -> Hit:
        """A hit for a chunk the question names outright, ranked first whatever retrieval scored."""
        i = self._position[cid]
        dense = float(self.retriever.index.vectors[i] @ vec)
        return Hit(self.retriever.index.chunks[i], hits[0].score if hits else 1.0, dense, 0.0)
