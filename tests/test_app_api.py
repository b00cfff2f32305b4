"""The Gradio app's API (/ask, /feedback) over HTTP with gradio_client, the feedback store, and the web formatting."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from gradio_client import Client

from bot import cli
from bot.feedback import REASONS, FeedbackStore, open_store
from bot.webui import answer_message, parse_history, user_text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # app.py lives at the repo root
    sys.path.insert(0, str(ROOT))
DOSE_Q = "What is the dose of ibuprofen?"
KEYS = {"question", "answer", "sources", "abstained", "urgent", "disclaimer"}


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server.url, verbose=False)


def cli_json(capsys, *argv: str) -> dict:
    assert cli.main(["ask", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


# ---- /ask -------------------------------------------------------------------------------------------------
def test_ask_api_returns_the_cli_json(client, capsys):
    got = client.predict(DOSE_Q, [], api_name="/ask")
    assert set(got) == KEYS
    assert "400–600 mg" in got["answer"]
    assert got["sources"] and set(got["sources"][0]) == {"section", "title", "quote", "score"}
    assert got["sources"][0]["section"] == "Pharmacological Treatments"
    assert got["abstained"] is False and got["urgent"] is False
    assert got["disclaimer"].startswith("Disclaimer:")
    assert got == cli_json(capsys, DOSE_Q)  # the same answer, byte for byte, as `python -m bot ask --json`


def test_ask_api_takes_history_as_list_or_json_string(client, capsys):
    follow_up = "What are its side effects?"
    as_list = client.predict(follow_up, [DOSE_Q], api_name="/ask")
    as_json = client.predict(follow_up, json.dumps([DOSE_Q]), api_name="/ask")
    assert as_list == as_json == cli_json(capsys, follow_up, "--history", DOSE_Q)
    assert "Ibuprofen" in as_list["answer"]  # the follow-up is read with the conversation so far


def test_ask_api_red_flag_and_abstention(client):
    urgent = client.predict("I suddenly can't control my bladder and my back hurts", [], api_name="/ask")
    assert urgent["urgent"] is True and "Seek medical attention" in urgent["answer"]
    off = client.predict("How do I bake bread?", "", api_name="/ask")
    assert off["abstained"] is True and "does not cover" in off["answer"]


@pytest.mark.parametrize("history", ["not json", '{"q": 1}', "[1, 2]"])
def test_ask_api_bad_history_says_what_to_send(client, history):
    with pytest.raises(Exception, match="history must be"):
        client.predict(DOSE_Q, history, api_name="/ask")


def post_json(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url + "api/ask", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_plain_json_route_returns_the_cli_json(app_server, capsys):
    status, got = post_json(app_server.url, json.dumps({"question": DOSE_Q}).encode())
    assert status == 200 and got == cli_json(capsys, DOSE_Q)
    follow_up = "What are its side effects?"
    status, got = post_json(app_server.url, json.dumps({"question": follow_up, "history": [DOSE_Q]}).encode())
    assert status == 200 and got == cli_json(capsys, follow_up, "--history", DOSE_Q)


@pytest.mark.parametrize(("body", "status", "message"), [
    (b'{"question": 5}', 400, '"question" must be a string'),
    (b'["What is it?"]', 400, "must be a JSON object"),
    (b'{"question": "x", "history": [1]}', 400, "history must be a list of strings"),
    (b"not json", 422, ""),
])
def test_plain_json_route_rejects_bad_bodies_with_a_message(app_server, body, status, message):
    got_status, got = post_json(app_server.url, body)
    assert got_status == status
    assert message in str(got) and "Traceback" not in str(got)


# ---- /feedback --------------------------------------------------------------------------------------------
def test_feedback_api_writes_a_row_without_the_question(client, app_server):
    answer_id = str(uuid.uuid4())
    got = client.predict(answer_id, "dislike", "not_in_article", api_name="/feedback")
    assert got == {"ok": True, "answer_id": answer_id, "vote": "down", "reason": "not in article"}
    db = app_server.data_dir / "feedback.sqlite3"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT vote, reason, question FROM feedback WHERE answer_id = ?", (answer_id,)).fetchall()
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [("down", "not in article", None)]  # question logging is off by default
    assert mode == "wal"
    assert [r.answer_id for r in app_server.store.disliked()].count(answer_id) == 1


@pytest.mark.parametrize(
    ("answer_id", "vote", "reason", "message"),
    [
        ("not-a-uuid", "up", "", "answer_id must be"),
        (str(uuid.uuid4()), "meh", "", "vote must be"),
        (str(uuid.uuid4()), "down", "boring", "reason must be"),
    ],
)
def test_feedback_api_rejects_bad_input(client, answer_id, vote, reason, message):
    with pytest.raises(Exception, match=message):
        client.predict(answer_id, vote, reason, api_name="/feedback")


def test_no_question_text_in_the_server_log(client, capfd):
    secret = "my private question about zygomatic xylophones"
    client.predict(secret, [secret], api_name="/ask")
    with pytest.raises(Exception, match="history must be"):
        client.predict(secret, f"{secret} (not JSON)", api_name="/ask")
    out, err = capfd.readouterr()
    assert "zygomatic" not in out + err


def test_app_hides_errors_from_the_browser(app_server):
    assert app_server.demo.show_error is False


# ---- the feedback store -----------------------------------------------------------------------------------
def test_store_keeps_question_text_only_when_enabled(tmp_path):
    private = FeedbackStore(tmp_path / "a.sqlite3")
    logged = FeedbackStore(tmp_path / "b.sqlite3", keep_questions=True)
    for store in (private, logged):
        store.record(str(uuid.uuid4()), "up", "", DOSE_Q)
    assert [r.question for r in private.rows()] == [None]
    assert [r.question for r in logged.rows()] == [DOSE_Q]


def test_store_disliked_counts_an_answer_once_with_its_latest_reason(tmp_path):
    store = open_store(tmp_path)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    store.record(a, "down")
    store.record(a, "down", "unclear")
    store.record(b, "down")
    store.record(b, "up")
    assert [(r.answer_id, r.reason) for r in store.disliked()] == [(a, "unclear")]
    assert len(store.rows()) == 4


def test_store_loses_no_concurrent_writes(tmp_path):
    store = open_store(tmp_path)
    threads, per_thread = 16, 25
    errors: list[BaseException] = []

    def vote(n: int) -> None:
        try:
            for i in range(per_thread):
                store.record(str(uuid.uuid4()), "up" if (n + i) % 2 else "down", REASONS[i % len(REASONS)])
        except BaseException as exc:  # surfaced below: a lost write must fail the test
            errors.append(exc)

    workers = [threading.Thread(target=vote, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert len(store.rows()) == threads * per_thread


# ---- web formatting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**bold** [x](y) `c` # h", "\\*\\*bold\\*\\* \\[x\\](y) \\`c\\` \\# h"),
        ("- item\n1. two\n===", "\\- item\n1\\. two\n\\==="),
        ("What is the L1-L2 dose?", "What is the L1-L2 dose?"),  # ordinary questions stay as typed
    ],
)
def test_user_text_is_shown_literally(typed, markdown):
    assert user_text(typed) == markdown


def test_answer_message_escapes_article_text(engine):
    ans = engine.ask("How is severity graded on imaging?")
    assert "(<25% narrowing)" in ans.answer  # the article's own '<' ...
    content = answer_message(ans)["content"]
    assert "(&lt;25% narrowing)" in content and "<25%" not in content  # ... never reaches the browser as HTML
    assert '<details class="fm-sources">' in content and '<details class="fm-disclaimer">' in content


def test_answer_message_puts_the_urgent_banner_first(engine):
    ans = engine.ask("I suddenly can't control my bladder and my back hurts")
    content = answer_message(ans)["content"]
    assert content.startswith('<div class="fm-urgent" role="alert">')


def test_abstention_offers_the_closest_topics(engine):
    ans = engine.ask("How do I bake bread?")
    options = answer_message(ans)["options"]
    assert len(options) == len(ans.suggestions) > 0
    assert all(o["value"].startswith("Tell me about ") for o in options)


@pytest.mark.parametrize(
    ("history", "expected"), [(None, []), ("", []), ([], []), (["a", "b"], ["a", "b"]), ('["a"]', ["a"])]
)
def test_parse_history(history, expected):
    assert parse_history(history) == expected


# ---- start-up ---------------------------------------------------------------------------------------------
def test_app_does_not_import_torch():
    code = (
        "import sys, app; from bot.engine import Engine; e = Engine(); e.ensure_index(); app.build_app(e); "
        f"e.ask({DOSE_Q!r}); print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_python_app_py_serves_on_the_port_from_the_environment(tmp_path):
    from conftest import free_port

    port = free_port()
    env = {**os.environ, "FORAMEN_PORT": str(port), "FORAMEN_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                got = Client(url, verbose=False).predict(DOSE_Q, [], api_name="/ask")
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"app.py did not start:\n{proc.stdout.read() if proc.stdout else ''}") from None
                time.sleep(0.5)
        assert "400–600 mg" in got["answer"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_main_rejects_a_bad_port(capsys):
    import app

    with pytest.raises(SystemExit) as exc:
        app.main(["--port", "99999"])
    assert exc.value.code == 2
    assert "port must be a number from 1 to 65535. Currently, it is '99999'" in capsys.readouterr().err
