"""Corpus stage: article text -> section tree -> one Chunk per paragraph or list entry, with offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .schema import Chunk

HEADING_MAX_CHARS = 70
HEADING_MAX_WORDS = 10
TITLE_MAX_WORDS = 10
SUBSECTION = re.compile(r"^[A-Z]\.\s+\S")
DISCLAIMER = re.compile(r"^disclaimer\b", re.IGNORECASE)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, each an exact slice of it."""
    return [s for s in SENTENCE_END.split(text) if s]


@dataclass(frozen=True)
class Line:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A parsed article: its chunks, its disclaimer, and the cleaned text quotes are taken from."""

    name: str
    raw: str
    chunks: tuple[Chunk, ...]
    disclaimer: str
    clean_text: str


def load_source_names(path: Path) -> tuple[str, ...]:
    """Read the publisher names list (one per line, '#' comments)."""
    if not path.exists():
        return ()
    names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    return tuple(sorted((n for n in names if n and not n.startswith("#")), key=len, reverse=True))


def strip_sources(text: str, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Remove publisher names glued before a final period; return (clean text, names found in order)."""
    text = text.rstrip()
    if text.endswith(" -"):  # the scrape's bullet separator trails the previous entry
        text = text[:-2].rstrip()
    if not names or not text.endswith("."):
        return text, ()
    body = text[:-1]
    found: list[str] = []
    while True:
        for name in names:
            if body.endswith(name):
                found.append(name)
                body = body[: -len(name)]
                break
        else:
            break
    if not found or not body.endswith(" "):
        return text, ()  # a name must be separated from the sentence by a space
    return body.rstrip() + ".", tuple(reversed(found))


def _lines(raw: str) -> list[Line]:
    out, pos = [], 0
    for part in raw.splitlines(keepends=True):
        text = part.rstrip("\r\n")
        out.append(Line(text.strip(), pos, pos + len(text)))
        pos += len(part)
    return out


def _is_heading(text: str) -> bool:
    return (
        0 < len(text) <= HEADING_MAX_CHARS
        and len(text.split()) <= HEADING_MAX_WORDS
        and not text.startswith("-")
        and text[-1] not in ".:;?!,"
    )


def _split_title(text: str) -> tuple[str, str] | None:
    """'Title: body' -> (title, body) when the part before the colon looks like a title."""
    head, sep, body = text.partition(": ")
    if not sep or not body or len(head.split()) > TITLE_MAX_WORDS or head.endswith("."):
        return None
    return head.strip(), body.strip()


def _inline_entry(text: str) -> tuple[str, str]:
    """Title and body of a one-line entry: 'Title: body', 'Question? Answer.', or a plain sentence."""
    titled = _split_title(text)
    if titled:
        return titled
    q, sep, rest = text.partition("? ")
    if sep and rest:
        return q + "?", rest
    first = re.split(r";\s+", text, maxsplit=1)[0]
    return first.rstrip("."), text


def parse_article(raw: str, name: str, source_names: tuple[str, ...] = ()) -> Document:
    """Parse one article into chunks.

    Headings are short lines without final punctuation; "A. ..." headings are sub-sections.
    Entries are "-" bullet blocks (title line + body line, or "Title: body") and "- ..." lines.
    Raises CorpusError when the text has no headings or no content.
    """
    if not raw.strip():
        raise CorpusError(f"{name}: the file is empty; add the article text or remove the file.")
    lines = _lines(raw)
    chunks: list[Chunk] = []
    clean_lines: list[str] = []
    top: str = "Introduction"
    sub: str | None = None
    lead_words = raw.strip().split()[:5]
    disclaimer = ""
    headings = 0
    pending_bullet = False
    i = 0

    def add(title: str, text: str, kind: str, start: int, end: int, cited: tuple[str, ...], quote: str,
            group: str = "") -> None:
        path = (top,) if sub is None else (top, sub)
        cid = f"{name}:{len(chunks):03d}"
        chunks.append(Chunk(cid, name, path, title, text, kind, start, end, cited, quote, group))

    while i < len(lines):
        ln = lines[i]
        text = ln.text
        i += 1
        if not text:
            continue
        if text == "-":
            pending_bullet = True
            continue
        if pending_bullet:
            pending_bullet = False
            titled = _split_title(text)
            if titled:
                body, cited = strip_sources(titled[1], source_names)
                quote = f"{titled[0]}: {body}"
                clean_lines.append(quote)
                add(titled[0], body, "entry", ln.start, ln.end, cited, quote)
                continue
            if _is_heading(text) and i < len(lines) and lines[i].text:
                body_ln = lines[i]
                i += 1
                body, cited = strip_sources(body_ln.text, source_names)
                clean_lines += [text, body]
                add(text, body, "entry", ln.start, body_ln.end, cited, body)
                pending_bullet = body_ln.text.endswith(" -")  # the next entry's bullet trails this body
                continue
        if text.startswith("- "):
            entry = text[2:].strip()
            title, body = _inline_entry(entry)
            clean_body, cited = strip_sources(body, source_names)
            quote = entry if clean_body == body else entry[: len(entry) - len(body)] + clean_body
            clean_lines.append(quote)
            add(title, clean_body, "entry", ln.start, ln.end, cited, quote)
            continue
        if _is_heading(text):
            headings += 1
            if SUBSECTION.match(text):
                sub = text
            else:
                top, sub = text, None
            clean_lines.append(text)
            continue
        clean, cited = strip_sources(text, source_names)
        clean_lines.append(clean)
        if DISCLAIMER.match(clean):
            top, sub = "Disclaimer", None
            disclaimer = disclaimer or clean
        elif chunks and clean.split()[:5] == lead_words:
            top, sub = "Introduction", None  # a second lead paragraph restating the topic
        if top == "Disclaimer":
            add(sub or top, clean, "prose", ln.start, ln.end, cited, clean)
            continue
        # a paragraph mixes several facts: one chunk per sentence, grouped by paragraph, so retrieval
        # finds the sentence that answers and the answer can quote neighbours as one exact slice
        group = f"{name}:p{ln.start}"
        raw_line = raw[ln.start : ln.end]
        pos = 0
        sents = split_sentences(clean)
        for k, sent in enumerate(sents):
            probe = sent[:-1] if k == len(sents) - 1 else sent  # glued publishers sit before the last period
            at = raw_line.find(probe, pos)
            start = ln.start + max(at, 0)
            end = ln.end if k == len(sents) - 1 else start + len(sent)
            pos = max(at, 0) + len(probe)
            add(sub or top, sent, "prose", start, end, cited if k == len(sents) - 1 else (), sent, group)

    if headings == 0:
        raise CorpusError(
            f"{name}: no section headings found (a heading is a short line without a final period); "
            "the file does not look like an article of the expected shape."
        )
    if not disclaimer:
        disclaimer = "This answer quotes a general information article; it is not medical advice."
    return Document(name, raw, tuple(chunks), disclaimer, "\n".join(clean_lines))


def read_article(path: Path, source_names: tuple[str, ...] = ()) -> Document:
    """Read and parse one article file; raises CorpusError naming the file when it cannot be used."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise CorpusError(f"{path.name}: looks like a binary file, not an article; remove it from the corpus.")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path.name}: is not UTF-8 text ({exc.reason} at byte {exc.start}); re-save it as UTF-8.") from exc
    try:
        return parse_article(raw, path.stem, source_names)
    except CorpusError as exc:
        raise CorpusError(f"{path.name}: {str(exc).split(': ', 1)[-1]}") from exc


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """Parse every *.txt article in corpus_dir; return (documents, problems) so one bad file spares the rest."""
    names = load_source_names(corpus_dir / "publishers.list")
    docs, problems = [], []
    for path in sorted(corpus_dir.glob("*.txt")):
        try:
            docs.append(read_article(path, names))
        except CorpusError as exc:
            problems.append(str(exc))
    if not docs:
        detail = "; ".join(problems) or f"no .txt article in {corpus_dir}"
        raise CorpusError(f"No usable article in the corpus: {detail}")
    return docs, problems
