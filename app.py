"""Gradio app: layout and event wiring only; answers come from bot.engine, formatting from bot.webui."""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # offline app: no telemetry, no version check

import argparse  # noqa: E402 - gradio reads the variable above at import time
import logging  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from bot import webui  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.feedback import FeedbackStore, open_store  # noqa: E402

log = logging.getLogger("foramen.app")
HIDE = gr.update(visible=False)


def _log_failure(where: str, exc: BaseException) -> None:
    """Server-side log without the exception message: it could quote the patient's question."""
    tb = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", where, type(exc).__name__, tb)


def build_app(engine: Engine, store: FeedbackStore | None = None) -> gr.Blocks:
    """The chat page plus the /ask and /feedback API endpoints. Does not launch anything."""
    cfg = engine.config
    store = store or open_store(cfg.data_dir, keep_questions=cfg.log_questions)

    def respond(message: str, chat: list[Any], turns: list[webui.Turn]) -> tuple[Any, ...]:
        message = (message or "").strip()
        if not message:
            return chat, turns, "", HIDE, ""
        history = [t.question for t in turns]
        try:
            reply = webui.answer_message(engine.ask(message, history))
        except Exception as exc:  # the visitor gets a polite line, never a trace or a path
            _log_failure("answer", exc)
            reply = webui.error_message()
        answer_id = str(uuid.uuid4())
        chat = [*(chat or []), {"role": "user", "content": webui.user_text(message)}, reply]
        return chat, [*turns, webui.Turn(answer_id, message)], "", HIDE, ""

    def pick(chat: list[Any], turns: list[webui.Turn], evt: gr.SelectData) -> tuple[Any, ...]:
        value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")
        return respond(value, chat, turns)

    def on_like(turns: list[webui.Turn], evt: gr.LikeData) -> tuple[Any, ...]:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn_no = int(index) // 2  # every turn adds one user and one assistant message
        if not 0 <= turn_no < len(turns) or evt.liked not in (True, False):
            return HIDE, "", None  # a vote taken back, or an unknown message
        turn = turns[turn_no]
        try:
            store.record(turn.answer_id, "up" if evt.liked else "down", "", turn.question)
        except Exception as exc:
            _log_failure("feedback", exc)
            gr.Warning("Sorry — your vote could not be saved.")
            return HIDE, "", None
        if evt.liked:
            gr.Info("Thanks for the feedback!")
            return HIDE, "", None
        return gr.update(visible=True), turn.answer_id, None

    def send_reason(answer_id: str, reason: str | None, turns: list[webui.Turn]) -> tuple[Any, ...]:
        if answer_id and reason:
            question = next((t.question for t in turns if t.answer_id == answer_id), None)
            try:
                store.record(answer_id, "down", reason, question)
                gr.Info("Thanks — noted.")
            except Exception as exc:
                _log_failure("feedback", exc)
                gr.Warning("Sorry — your feedback could not be saved.")
        return HIDE, "", None

    def ask(question: str, history: list[str] | str | None = None) -> dict[str, Any]:
        """Answer a question about the article. history: earlier user questions, oldest first (a list or a
        JSON string). Returns the same JSON object as `python -m bot ask --json`."""
        try:
            return engine.ask(question, webui.parse_history(history)).to_json()
        except BotError as exc:
            raise gr.Error(str(exc)) from None
        except Exception as exc:
            _log_failure("api ask", exc)
            raise gr.Error(webui.SORRY) from None

    def feedback(answer_id: str, vote: str, reason: str = "") -> dict[str, Any]:
        """Record a vote on an answer. vote: 'up' or 'down'; reason: '' or wrong section, not in article,
        unclear, unsafe. answer_id: a uuid. Returns {"ok": true, "answer_id", "vote", "reason"}."""
        try:
            row = store.record(answer_id, vote, reason)
        except BotError as exc:
            raise gr.Error(str(exc)) from None
        except Exception as exc:
            _log_failure("api feedback", exc)
            raise gr.Error("Sorry — the vote could not be saved.") from None
        return {"ok": True, "answer_id": row.answer_id, "vote": row.vote, "reason": row.reason}

    with gr.Blocks(title="Ask the article — L1–L2 foraminal narrowing") as demo:
        turns = gr.State([])
        pending = gr.State("")  # answer id waiting for a dislike reason
        gr.Markdown(f"# {webui.TITLE}\n{webui.INTRO}", elem_id="fm-header")
        chat = gr.Chatbot(
            label="Conversation",
            show_label=False,
            elem_id="fm-chat",
            height="62vh",
            min_height=320,
            examples=[{"text": q} for q in webui.EXAMPLES],
            placeholder="**Try one of these questions**, or type your own below.",
            feedback_options=("Like", "Dislike"),
            latex_delimiters=[],
            buttons=["copy"],
            group_consecutive_messages=False,
        )
        with gr.Group(visible=False, elem_id="fm-reason") as reason_box:
            reason = gr.Radio(webui.REASON_CHOICES, label="Thanks. What was wrong with this answer? (optional)")
            with gr.Row():
                send_btn = gr.Button("Send reason", size="sm", variant="primary", elem_id="fm-send-reason")
                skip_btn = gr.Button("Skip", size="sm", elem_id="fm-skip-reason")
        with gr.Row(equal_height=True):
            box = gr.Textbox(
                show_label=False,
                label="Your question",
                placeholder=webui.PLACEHOLDER,
                elem_id="fm-box",
                scale=5,
                min_width=180,
                autofocus=True,
                max_length=engine.config.max_question_chars,
            )
            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="fm-ask")
        new_btn = gr.Button("New conversation", elem_id="fm-new")
        privacy = "are not stored" if not cfg.log_questions else "are stored with feedback on this server"
        gr.Markdown(
            f"Runs offline on this computer. Your questions {privacy}. Programmatic use: the `/ask` and "
            "`/feedback` API endpoints (see “Use via API” below).",
            elem_id="fm-footer",
        )

        answer_io: dict[str, Any] = dict(
            outputs=[chat, turns, box, reason_box, pending],
            api_visibility="private",
            concurrency_id="engine",  # Engine keeps a small cache that is not thread-safe: answer one at a time
            concurrency_limit=1,
        )
        box.submit(respond, [box, chat, turns], **answer_io)
        ask_btn.click(respond, [box, chat, turns], **answer_io)
        chat.example_select(pick, [chat, turns], **answer_io)
        chat.option_select(pick, [chat, turns], **answer_io)
        chat.like(on_like, [turns], [reason_box, pending, reason], api_visibility="private", concurrency_limit=None)
        send_btn.click(send_reason, [pending, reason, turns], [reason_box, pending, reason], api_visibility="private")
        skip_btn.click(lambda: (HIDE, "", None), None, [reason_box, pending, reason], api_visibility="private")
        reset = [[], [], "", HIDE, ""]
        new_btn.click(lambda: reset, None, [chat, turns, box, reason_box, pending], api_visibility="private")
        chat.clear(lambda: reset[1:], None, [turns, box, reason_box, pending], api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_id="engine", concurrency_limit=1)
        gr.api(feedback, api_name="feedback", concurrency_limit=None)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, share: bool = False, block: bool = True) -> str:
    """Serve the app; returns the local URL (when block=False the server keeps running in a thread)."""
    demo.queue(default_concurrency_limit=4)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        show_error=False,  # exceptions reach the browser as a polite line, never a trace
        prevent_thread_lock=not block,
        quiet=not block,
        ssr_mode=False,
        css=webui.CSS,
        head=webui.HEAD,
        theme=gr.themes.Soft(primary_hue="teal"),
    )
    return str(url)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number from 1 to 65535. Currently, it is {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be a number from 1 to 65535. Currently, it is {value!r}")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """`python app.py [--host H] [--port P] [--share]`; FORAMEN_HOST / FORAMEN_PORT set the defaults."""
    env = os.environ
    p = argparse.ArgumentParser(description="Chat with the article (Gradio web app).")
    p.add_argument("--host", default=env.get("FORAMEN_HOST", "127.0.0.1"), help="interface to listen on")
    p.add_argument("--port", type=_port, default=env.get("FORAMEN_PORT", "7860"), help="port to listen on")
    p.add_argument("--share", action="store_true", help="also publish a temporary public gradio.live link")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        engine = Engine()
        engine.ensure_index()  # loads what is on disk; builds only when missing or stale
        launch(build_app(engine), args.host, args.port, share=args.share)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        print(f"error: cannot start the web server on {args.host}:{args.port} ({exc}). Try --port.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
