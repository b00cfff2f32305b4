"""Web presentation: an Answer as one chat message (markdown + escaped HTML), user text shown literally."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .feedback import REASONS
from .schema import PATH_SEP, Answer

TITLE = "Ask the article: posterolateral neural foraminal narrowing at L1–L2"
INTRO = (
    "Answers are **quoted word for word** from one medical article, with the section they come from. "
    "The bot cannot diagnose you or answer anything the article does not cover."
)
EXAMPLES = (  # a dose, a symptom, a list, a red flag
    "What is the dose of ibuprofen?",
    "Does it cause numbness in the groin?",
    "List the diagnostic tests",
    "When should I see a doctor?",
)
PLACEHOLDER = "Type a question about the article"
URGENT_BANNER = (
    "Seek medical attention — the article lists these symptoms as a reason to see a doctor."
)
SORRY = "Sorry — something went wrong while answering. Please try again, or rephrase your question."
ASK_ABOUT = "Tell me about {topic}"
REASON_CHOICES = [(r.capitalize(), r) for r in REASONS]
MD_ALWAYS = set("\\`*_[]#|~$")  # escaped anywhere in user text; "&<>" become entities

CSS = """
.fm-urgent { position: sticky; top: 0; z-index: 3; background: #b00020; color: #fff; border-radius: 8px; padding: 10px 14px; margin: 0 0 10px 0;
  font-weight: 600; font-size: 1.02em; line-height: 1.4; border: 2px solid #7a0016; }
.fm-urgent strong { color: #fff; }
.fm-sources, .fm-disclaimer { margin-top: 10px; font-size: 0.9em; }
.fm-sources summary, .fm-disclaimer summary { cursor: pointer; }
.fm-sources ol { margin: 6px 0 0 0; padding-left: 1.4em; }
.fm-sources li { margin-bottom: 8px; }
.fm-path { font-weight: 600; }
.fm-score { opacity: 0.7; font-variant-numeric: tabular-nums; white-space: nowrap; }
.fm-sources blockquote { margin: 4px 0 0 0; padding-left: 8px; border-left: 3px solid #999; }
.fm-disclaimer { opacity: 0.8; border-top: 1px solid rgba(128,128,128,0.35); padding-top: 6px; }
.fm-disclaimer p { margin: 4px 0 0 0; }
#fm-header h1 { font-size: 1.35em; margin-bottom: 0.2em; }
#fm-footer { font-size: 0.85em; opacity: 0.75; }
@media (max-width: 480px) {
  #fm-header h1 { font-size: 1.1em; }
  #fm-header p { font-size: 0.9em; }
  .fm-disclaimer, .fm-sources { font-size: 0.82em; }
}
"""
# Gradio scopes `CSS` to the app's content; the page frame's padding can only be reached from <head>.
HEAD = """<style>
@media (max-width: 480px) { .gradio-container .main.app { padding: 10px 8px !important; } }
</style>"""


@dataclass(frozen=True)
class Turn:
    """One answered question of a browser session; stays in that session's memory only."""

    answer_id: str
    question: str


def user_text(question: str) -> str:
    """Markdown that displays the user's text literally, so `<script>` or `**x**` show as typed and never run
    or render. Only characters that can start HTML or markdown are escaped (the copy button shows this text)."""
    out = []
    for line in question.splitlines() or [""]:
        esc = "".join(
            html.escape(ch, quote=False) if ch in "&<>" else "\\" + ch if ch in MD_ALWAYS else ch for ch in line
        )
        # list items, setext underlines and thematic breaks only start a line
        esc = re.sub(r"^(\s*)([-+=])", r"\1\\\2", esc)
        esc = re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", esc)
        out.append(esc)
    return "\n".join(out)


def _md_article(markdown: str) -> str:
    """The engine's markdown with article text made inert: no '<' or '&' reaches the browser as HTML.
    ('>' stays: it starts the quote blocks and cannot open a tag on its own.)"""
    return markdown.replace("&", "&amp;").replace("<", "&lt;")


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.DOTALL)
    return m.group(1) if m else text.strip()


def _sources(ans: Answer) -> str:
    if not ans.sources or ans.abstained:
        return ""
    items = []
    for s in ans.sources:
        path = s.section if not s.title or s.section.endswith(s.title) else f"{s.section}{PATH_SEP}{s.title}"
        items.append(
            f'<li><span class="fm-path">{html.escape(path)}</span> '
            f'<span class="fm-score">(score {s.score:.3f})</span>'
            f"<blockquote>{html.escape(s.quote)}</blockquote></li>"
        )
    return (
        f'<details class="fm-sources"><summary>Sources ({len(ans.sources)})</summary>'
        f'<ol>{"".join(items)}</ol></details>'
    )


def _disclaimer(text: str) -> str:
    if not text:
        return ""
    head = first_sentence(text)
    return (
        f'<details class="fm-disclaimer"><summary>{html.escape(head)}</summary>'
        f"<p>{html.escape(text)}</p></details>"
    )


def answer_message(ans: Answer) -> dict[str, Any]:
    """The chat message for an answer: urgent banner on top, the quoted answer, collapsible sources, the
    disclaimer; on an abstention the closest topics as clickable options."""
    parts = []
    if ans.urgent:
        parts.append(f'<div class="fm-urgent" role="alert">⚠️ {html.escape(URGENT_BANNER)}</div>')
    parts += [_md_article(ans.answer), _sources(ans), _disclaimer(ans.disclaimer)]
    msg: dict[str, Any] = {"role": "assistant", "content": "\n\n".join(p for p in parts if p)}
    if ans.abstained and ans.suggestions:
        msg["options"] = [
            {"value": ASK_ABOUT.format(topic=topic_name(s)), "label": ASK_ABOUT.format(topic=topic_name(s))}
            for s in ans.suggestions
        ]
    return msg


def topic_name(suggestion: str) -> str:
    """'Section › Sub › Title' -> 'Title' (what a person would ask about)."""
    return suggestion.split(PATH_SEP)[-1].strip()


def error_message() -> dict[str, Any]:
    return {"role": "assistant", "content": SORRY}


def parse_history(history: list[str] | str | None) -> list[str]:
    """API history: a list of earlier user questions (oldest first), or the same list as a JSON string."""
    if history is None or (isinstance(history, str) and not history.strip()):
        return []
    value: object = history
    if isinstance(history, str):
        try:
            value = json.loads(history)
        except json.JSONDecodeError:
            # the value itself is not echoed: it is patient text, and error messages reach the server log
            raise InputError(
                f'history must be a JSON list of earlier questions, e.g. ["What causes it?"]. '
                f"Currently, it is a {len(history)}-character string that is not JSON"
            ) from None
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        kinds = sorted({type(h).__name__ for h in value}) if isinstance(value, list) else [type(value).__name__]
        raise InputError(f"history must be a list of strings (earlier questions). Currently, it holds {', '.join(kinds)}")
    return list(value)


def parse_request(payload: object) -> tuple[str, list[str]]:
    """The body of POST /api/ask: {"question": str, "history": [str, ...] (optional)}."""
    if not isinstance(payload, dict):
        raise InputError(f'the request body must be a JSON object like {{"question": "..."}}. '
                         f"Currently, it is a {type(payload).__name__}")
    question = payload.get("question")
    if not isinstance(question, str):
        raise InputError(f'"question" must be a string. Currently, it is {type(question).__name__}')
    return question, parse_history(payload.get("history"))
