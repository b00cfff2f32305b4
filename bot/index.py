"""Index stage: build, save and load FAISS + BM25 + chunks.jsonl + manifest.json, with checks."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexError_
from .lexicon import tokenize_for_bm25
from .schema import Chunk

FORMAT_VERSION = 4  # bump when the parser or the files change shape: old indexes are then rebuilt
FILES = ("faiss.index", "chunks.jsonl", "manifest.json")


@dataclass
class Index:
    """Everything retrieval needs, in memory."""

    chunks: list[Chunk]
    vectors: np.ndarray  # float32 (n, d), L2-normalised, row i = chunks[i]
    faiss: Any
    bm25: Any
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def disclaimers(self) -> dict[str, str]:
        return {d["name"]: d["disclaimer"] for d in self.manifest.get("documents", [])}


def corpus_fingerprint(corpus_dir: Path) -> str:
    """sha256 over every article and data file of the corpus, plus the index format version."""
    h = hashlib.sha256(f"format={FORMAT_VERSION}".encode())
    for path in sorted(p for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_faiss(vectors: np.ndarray) -> Any:
    """Exact cosine search: normalised vectors in an inner-product flat index."""
    import faiss

    idx = faiss.IndexFlatIP(vectors.shape[1])
    idx.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return idx


def build_bm25(chunks: list[Chunk]) -> Any:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([tokenize_for_bm25(lexical_text(c)) for c in chunks], show_progress=False)
    return retriever


def lexical_text(c: Chunk) -> str:
    """What both retrievers see of a chunk: its path and title give context its short body lacks."""
    return f"{' '.join(c.section)}. {c.title}. {c.text}"


def make_index(chunks: list[Chunk], vectors: np.ndarray, manifest: dict[str, Any]) -> Index:
    return Index(chunks, vectors, build_faiss(vectors), build_bm25(chunks), manifest)


def save(index: Index, index_dir: Path) -> None:
    """Write all files to a temporary folder, then move each into place; the manifest goes last.

    Readers check the manifest against the other files, so a half-written set is detected, never used.
    """
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        faiss.write_index(index.faiss, str(tmp / "faiss.index"))
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in index.chunks:
                f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        index.bm25.save(str(tmp / "bm25"))
        manifest = dict(index.manifest)
        manifest["chunks_sha256"] = _sha(tmp / "chunks.jsonl")
        manifest["faiss_sha256"] = _sha(tmp / "faiss.index")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        old_bm25 = index_dir / "bm25"
        if old_bm25.exists():
            shutil.rmtree(old_bm25, ignore_errors=True)
        os.replace(tmp / "bm25", old_bm25)
        for name in FILES:  # manifest.json is last in FILES
            os.replace(tmp / name, index_dir / name)
        index.manifest = manifest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load(index_dir: Path, expect: dict[str, Any]) -> Index:
    """Load and verify an index. Raises IndexError_ saying what is wrong (missing, stale, corrupt)."""
    import bm25s
    import faiss

    man_path = index_dir / "manifest.json"
    if not man_path.exists():
        raise IndexError_(f"no index in {index_dir} (manifest.json missing)")
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"manifest.json is unreadable ({exc})") from exc
    for key, want in expect.items():
        if manifest.get(key) != want:
            if key == "corpus_sha256":
                raise IndexError_("index is stale: the corpus changed since it was built")
            raise IndexError_(f"index is stale: manifest {key}={manifest.get(key)!r}, expected {want!r}")
    for name in ("faiss.index", "chunks.jsonl"):
        path = index_dir / name
        if not path.exists():
            raise IndexError_(f"{name} is missing from {index_dir}")
        if _sha(path) != manifest.get(name.split(".")[0] + "_sha256"):
            raise IndexError_(f"{name} does not match manifest.json (corrupt or from another build)")
    try:
        fidx = faiss.read_index(str(index_dir / "faiss.index"))
        chunks = [_chunk(json.loads(line)) for line in (index_dir / "chunks.jsonl").open(encoding="utf-8")]
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"))
    except Exception as exc:  # faiss raises RuntimeError, bm25s OSError/ValueError: all mean "rebuild"
        raise IndexError_(f"index files are corrupt ({type(exc).__name__}: {exc})") from exc
    if fidx.ntotal != len(chunks) or len(chunks) != manifest.get("chunk_count"):
        raise IndexError_(f"index holds {fidx.ntotal} vectors for {len(chunks)} chunks; expected {manifest.get('chunk_count')}")
    if fidx.d != manifest.get("dimension"):
        raise IndexError_(f"index dimension {fidx.d} != manifest dimension {manifest.get('dimension')}")
    vectors = fidx.reconstruct_n(0, fidx.ntotal)
    return Index(chunks, np.ascontiguousarray(vectors, dtype=np.float32), fidx, bm25, manifest)


def _chunk(d: dict[str, Any]) -> Chunk:
    d["section"] = tuple(d["section"])
    d["cited"] = tuple(d["cited"])
    return Chunk(**d)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
