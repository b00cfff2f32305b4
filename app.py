"""Gradio app: layout and event wiring only; answers come from bot.engine, formatting from bot.webui and bot.staff."""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # offline app: no telemetry, no version check

import argparse  # noqa: E402 - gradio reads the variable above at import time
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402
from fastapi import Body  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from fastapi.routing import APIRoute  # noqa: E402

from bot import staff, webui  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.feedback import FeedbackStore, open_store  # noqa: E402

log = logging.getLogger("foramen.app")
_ROUTES: dict[int, dict[str, Any]] = {}  # plain JSON routes of each built app, added when it launches
HIDE = gr.update(visible=False)
PROGRESS = gr.Progress()  # only a marker in a handler's signature: gradio hands every run its own tracker


def _log_failure(where: str, exc: BaseException) -> None:
    """Server-side log without the exception message: it could quote the patient's question."""
    tb = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", where, type(exc).__name__, tb)


def build_app(engine: Engine, store: FeedbackStore | None = None) -> gr.Blocks:
    """The chat page plus the /ask and /feedback API endpoints. Does not launch anything. When
    FORAMEN_STAFF_PASSWORD is set (read now, at build time) the chat becomes the first of two tabs and a locked
    "Staff" tab follows; without it the page is the chat alone."""
    cfg = engine.config
    store = store or open_store(cfg.data_dir, keep_questions=cfg.log_questions)
    password = staff.staff_password()

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

    def rest_ask(payload: Any = Body(...)) -> JSONResponse:  # noqa: B008 - FastAPI's way to take a JSON body
        """POST /api/ask {"question": "...", "history": [...]}: the same JSON as /ask, in one plain HTTP call
        (no queue, no event stream); a sync handler, so FastAPI runs it on its thread pool."""
        try:
            question, history = webui.parse_request(payload)
            return JSONResponse(engine.ask(question, history).to_json())
        except BotError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except Exception as exc:
            _log_failure("rest ask", exc)
            return JSONResponse({"error": webui.SORRY}, status_code=500)

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
        with gr.Tabs(elem_id="fm-tabs") if password else nullcontext():
            with gr.Tab("Chat", id="chat", elem_id="fm-chat-tab") if password else nullcontext():
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
            if password:
                _staff_tab(engine, store, password)

        answer_io: dict[str, Any] = dict(
            outputs=[chat, turns, box, reason_box, pending],
            api_visibility="private",
            concurrency_id="engine",  # Engine.ask is thread-safe, but one at a time measured faster on 2 cores
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
    _ROUTES[id(demo)] = {"/api/ask": rest_ask}
    return demo


def _grid(table: staff.Table, label: str | None = None) -> dict[str, Any]:
    """A staff.Table for a gr.Dataframe; an empty one hides the grid (an empty grid shows headers '1 2 3')."""
    value = {"headers": list(table.headers), "data": [list(r) for r in table.rows]}
    return gr.update(value=value, visible=bool(table.rows), **({"label": label} if label else {}))


def _staff_tab(engine: Engine, store: FeedbackStore, password: str) -> None:
    """The "Staff" tab: a password box; the tools appear once it is right. Every handler checks the session's
    unlock flag again (server-side gr.State), so calling an event directly reveals nothing either."""
    work = Path(tempfile.mkdtemp(prefix="foramen-staff-"))  # exports; gradio serves files from the temp dir
    engines: list[Engine] = []
    sorry = "Sorry — the {} failed. Please try again; the server log has the details."
    empty = staff.Table((), ())
    unit = "questions"  # what the progress bar counts

    def staff_engine() -> Engine:
        # its own engine (0.4 s to load): a coverage run takes seconds and must not hold the patients' engine,
        # which answers one question at a time
        if not engines:
            eng = Engine(engine.config, progress=lambda _msg: None)
            eng.ensure_index()
            engines.append(eng)
        return engines[0]

    def unlock(typed: str) -> tuple[Any, ...]:
        if staff.check_password(typed, password):
            return True, gr.update(visible=True), HIDE, "", ""
        time.sleep(1.0)  # with concurrency_limit=1 below: at most one guess a second
        return False, HIDE, gr.update(visible=True), staff.WRONG_PASSWORD, ""

    def coverage(unlocked: bool, progress: gr.Progress = PROGRESS) -> tuple[Any, ...]:
        if not unlocked:
            return staff.LOCKED, "", _grid(empty), _grid(empty)
        try:
            progress((0, None), desc="Starting")
            view = staff.run_coverage_view(staff_engine(), lambda i, n: progress((i, n), "Probing entries", unit=unit))
        except Exception as exc:
            _log_failure("staff coverage", exc)
            return sorry.format("coverage run"), "", _grid(empty), _grid(empty)
        missed = _grid(view.missed, f"Probes not answered first ({len(view.missed.rows)})")
        return view.summary, view.chart, _grid(view.sections), missed

    def golden(unlocked: bool, upload: str | None, progress: gr.Progress = PROGRESS) -> tuple[Any, ...]:
        if not unlocked:
            return staff.LOCKED, "", _grid(empty), _grid(empty), None
        if not upload:
            return "Choose a golden JSONL file first.", "", _grid(empty), _grid(empty), None
        try:
            progress((0, None), desc="Reading the golden file")
            view = staff.run_golden_view(staff_engine(), upload, tempfile.mkdtemp(dir=work),
                                         progress=lambda i, n: progress((i, n), "Asking the golden questions", unit=unit))
        except BotError as exc:  # a file that is not a golden set: the message names the line
            return webui.user_text(str(exc)), "", _grid(empty), _grid(empty), None
        except Exception as exc:
            _log_failure("staff golden run", exc)
            return sorry.format("golden run"), "", _grid(empty), _grid(empty), None
        failures = _grid(view.failures, f"Failures ({len(view.failures.rows)})")
        return view.summary, view.chart, _grid(view.kinds), failures, [str(view.jsonl), str(view.csv)]

    def review(unlocked: bool) -> tuple[Any, ...]:
        if not unlocked:
            return staff.LOCKED, _grid(empty), None
        try:
            view = staff.feedback_view(store, tempfile.mkdtemp(dir=work))
        except Exception as exc:
            _log_failure("staff feedback review", exc)
            return sorry.format("feedback review"), _grid(empty), None
        return view.summary, _grid(view.table), str(view.candidates) if view.candidates else None

    with gr.Tab("Staff", id="staff", elem_id="fm-staff"):
        unlocked = gr.State(False)
        with gr.Row(equal_height=True, elem_id="fm-staff-login") as login:
            typed = gr.Textbox(label="Staff password", type="password", elem_id="fm-staff-password", scale=4)
            unlock_btn = gr.Button("Unlock", variant="primary", scale=1, min_width=90, elem_id="fm-staff-unlock")
        login_msg = gr.Markdown("", elem_id="fm-staff-login-msg")
        with gr.Column(visible=False, elem_id="fm-staff-tools") as tools, gr.Tabs():
            with gr.Tab("Coverage", id="coverage"):
                gr.Markdown("Asks “What is …?”, “What is … used for?”, dose and list questions about every entry "
                            "of the article and shows where the answer came from.")
                cov_btn = gr.Button("Run coverage probe", variant="primary", elem_id="fm-staff-coverage-run")
                # the progress bar shows over the status line: min_height gives it room
                cov_msg = gr.Markdown("Not run yet: it takes about ten seconds.", min_height=60,
                                      elem_id="fm-staff-coverage-msg")
                cov_chart = gr.HTML("", elem_id="fm-staff-coverage-chart")
                grid: dict[str, Any] = dict(visible=False, interactive=False, wrap=True, max_height=440)
                cov_table = gr.Dataframe(label="Per section", elem_id="fm-staff-coverage-table", **grid)
                cov_missed = gr.Dataframe(label="Probes not answered first", elem_id="fm-staff-coverage-missed", **grid)
            with gr.Tab("Golden run", id="golden"):
                with gr.Row(equal_height=True):
                    upload = gr.File(label="Golden set (JSON lines)", file_count="single", type="filepath",
                                     file_types=[".jsonl", ".json", ".txt"], elem_id="fm-staff-golden-file", scale=3)
                    downloads = gr.File(label="Download results (JSONL, CSV)", file_count="multiple",
                                        interactive=False, elem_id="fm-staff-downloads", scale=2)
                golden_btn = gr.Button("Run golden set", variant="primary", elem_id="fm-staff-golden-run")
                golden_msg = gr.Markdown("Upload a golden JSONL file, then run it.", min_height=60,
                                         elem_id="fm-staff-golden-msg")
                with gr.Row():
                    with gr.Column(scale=2, min_width=280):
                        kinds = gr.Dataframe(label="Accuracy per kind", elem_id="fm-staff-kinds", **grid)
                    with gr.Column(scale=3, min_width=280):
                        golden_chart = gr.HTML("", elem_id="fm-staff-golden-chart")
                failures = gr.Dataframe(label="Failures", elem_id="fm-staff-failures", **grid)
            with gr.Tab("Feedback review", id="feedback"):
                gr.Markdown("Disliked answers, newest first, and a JSONL of golden-set candidates to curate.")
                fb_btn = gr.Button("Load disliked answers", variant="primary", elem_id="fm-staff-feedback-run")
                fb_msg = gr.Markdown("", elem_id="fm-staff-feedback-msg")
                fb_table = gr.Dataframe(label="Disliked answers", elem_id="fm-staff-feedback", **grid)
                fb_file = gr.File(label="Golden-set candidates (JSONL)", interactive=False,
                                  elem_id="fm-staff-candidates")

    login_io: dict[str, Any] = dict(outputs=[unlocked, tools, login, login_msg, typed], api_visibility="private",
                                    concurrency_id="staff-login", concurrency_limit=1)
    typed.submit(unlock, [typed], **login_io)
    unlock_btn.click(unlock, [typed], **login_io)
    run_io: dict[str, Any] = dict(api_visibility="private", concurrency_id="staff", concurrency_limit=1)
    cov_btn.click(coverage, [unlocked], [cov_msg, cov_chart, cov_table, cov_missed], show_progress_on=[cov_msg], **run_io)
    golden_btn.click(golden, [unlocked, upload], [golden_msg, golden_chart, kinds, failures, downloads],
                     show_progress_on=[golden_msg], **run_io)
    fb_btn.click(review, [unlocked], [fb_msg, fb_table, fb_file], api_visibility="private")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, share: bool = False, block: bool = True) -> str:
    """Serve the app; returns the local URL (when block=False the server keeps running in a thread)."""
    demo.queue(default_concurrency_limit=4)
    routes = [APIRoute(path, handler, methods=["POST"]) for path, handler in _ROUTES.pop(id(demo), {}).items()]
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
        app_kwargs={"routes": routes},  # in the app before the server starts: never a window without them
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
