"""The chat page in a real headless Chromium: answers, citations, red-flag banner, feedback, escaping, phone size."""
from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
DOSE_Q = "What is the dose of ibuprofen?"
RED_FLAG_Q = "I suddenly can't control my bladder and my back hurts"
XSS_Q = "<script>window.__xss=1</script> <img src=x onerror=\"window.__xss=2\"> **not bold**"
WAIT = 20  # seconds for anything the page must show; answers take milliseconds, the first page load a second
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{', '.join(missing)} missing on CI: run .ci/install-browser.sh before the tests")
    pytest.skip(f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver, or .ci/install-browser.sh)")


@pytest.fixture(scope="module")
def driver():
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile.name}", "--window-size=1280,900"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield drv
    drv.quit()
    profile.cleanup()


@pytest.fixture(scope="module")
def site(app_factory):
    """Its own app with question logging on, so a stored dislike shows which answer it was given to."""
    return app_factory(FORAMEN_LOG_QUESTIONS="1")


# ---- page helpers -----------------------------------------------------------------------------------------
def open_page(driver, url: str, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.get(url)
    wait_for(driver, lambda d: d.find_elements("css selector", "#fm-box textarea"))


def wait_for(driver, condition, timeout: float = WAIT):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the chat re-renders while we look: an element found a moment ago may be gone; look again
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(condition)


def bot_messages(driver) -> list:
    return driver.find_elements("css selector", "#fm-chat .message-row.bot-row")


def user_messages(driver) -> list:
    return driver.find_elements("css selector", "#fm-chat .message-row.user-row")


def ask(driver, question: str) -> object:
    """Type a question and press Enter, like a keyboard user; return the new bot message."""
    from selenium.webdriver.common.keys import Keys

    before = len(bot_messages(driver))
    box = driver.find_element("css selector", "#fm-box textarea")
    box.click()
    box.send_keys(question, Keys.ENTER)
    wait_for(driver, lambda d: len(bot_messages(d)) > before)
    return bot_messages(driver)[-1]


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    driver.save_screenshot(str(path))
    return path


def db_rows(data_dir: Path) -> list[tuple]:
    db = data_dir / "feedback.sqlite3"
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        return con.execute("SELECT answer_id, vote, reason, question FROM feedback ORDER BY id").fetchall()


# ---- tests --------------------------------------------------------------------------------------------------
def test_answer_banner_and_dislike_with_reason(driver, site):
    open_page(driver, site.url, 1280, 900)
    first = ask(driver, DOSE_Q)
    text = first.text
    assert "400–600 mg" in text  # the verbatim quote ...
    assert "Pharmacological Treatments" in text  # ... its citation ...
    assert "Disclaimer: Each person’s journey is unique" in text  # ... and the article's disclaimer
    sources = first.find_element("css selector", "details.fm-sources")
    sources.find_element("tag name", "summary").click()
    assert re.search(r"\(score \d\.\d{3}\)", sources.text)
    shot(driver, "desktop-dose.png")

    urgent = ask(driver, RED_FLAG_Q)
    banner = urgent.find_element("css selector", "[role=alert]")
    assert banner.is_displayed() and banner.text.startswith("⚠️ Seek medical attention")
    red, green, blue = (int(v) for v in re.findall(r"\d+", banner.value_of_css_property("background-color"))[:3])
    assert red > 150 and green < 60 and blue < 80  # unmistakably red
    body = urgent.find_element("css selector", "blockquote")
    assert banner.location["y"] + banner.size["height"] <= body.location["y"]  # above the answer text
    shot(driver, "desktop-urgent.png")

    # dislike the first answer (the dose), then give a reason
    first = bot_messages(driver)[0]  # found again: the chat re-rendered when the second answer came
    assert "400–600 mg" in first.text
    first.find_element("xpath", "./following::button[@aria-label='Dislike'][1]").click()
    reason_box = wait_for(driver, lambda d: [e for e in d.find_elements("id", "fm-reason") if e.is_displayed()])[0]
    reason_box.find_element("xpath", ".//label[normalize-space(.)='Unclear']").click()
    driver.find_element("id", "fm-send-reason").click()
    deadline = time.monotonic() + WAIT
    while ("down", "unclear", DOSE_Q) not in [r[1:] for r in db_rows(site.data_dir)] and time.monotonic() < deadline:
        time.sleep(0.1)
    rows = db_rows(site.data_dir)
    assert [r[1:] for r in rows] == [("down", "", DOSE_Q), ("down", "unclear", DOSE_Q)]
    assert rows[0][0] == rows[1][0]  # both about the same answer id
    assert [r.reason for r in site.store.disliked()] == ["unclear"]
    wait_for(driver, lambda d: not [e for e in d.find_elements("id", "fm-reason") if e.is_displayed()])


def test_user_html_and_markdown_are_shown_as_text(driver, site):
    open_page(driver, site.url, 1280, 900)
    ask(driver, XSS_Q)
    mine = user_messages(driver)[-1]
    assert mine.text.strip() == XSS_Q  # shown literally
    assert driver.execute_script("return window.__xss") is None  # nothing ran
    assert not driver.find_elements("css selector", "#fm-chat script, #fm-chat img[src=x], #fm-chat .user-row strong")


def test_examples_new_conversation_and_suggestions(driver, site):
    open_page(driver, site.url, 1280, 900)
    driver.find_element("css selector", "#fm-chat button.example").click()  # a first-time visitor's example
    wait_for(driver, lambda d: bot_messages(d) and "400–600 mg" in bot_messages(d)[-1].text)

    driver.find_element("id", "fm-new").click()
    wait_for(driver, lambda d: not bot_messages(d) and d.find_elements("css selector", "#fm-chat button.example"))

    off = ask(driver, "How do I bake bread?")
    assert "does not cover" in off.text
    options = driver.find_elements("css selector", "#fm-chat button.option")
    assert options and all(o.text.startswith("Tell me about ") for o in options)
    topic = options[0].text
    options[0].click()
    wait_for(driver, lambda d: len(bot_messages(d)) == 2)
    assert user_messages(driver)[-1].text.strip() == topic
    assert "The article says" in bot_messages(driver)[-1].text


def test_phone_screen_keyboard_only(driver, site):
    from selenium.webdriver.common.keys import Keys

    open_page(driver, site.url, 390, 844, mobile=True)
    focused = driver.switch_to.active_element  # the question box has the focus on load
    assert focused.tag_name == "textarea"
    focused.send_keys(DOSE_Q, Keys.ENTER)
    wait_for(driver, lambda d: bot_messages(d) and "400–600 mg" in bot_messages(d)[-1].text)
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]  # no sideways scrolling
    ask_btn = driver.find_element("id", "fm-ask")
    assert ask_btn.location["x"] + ask_btn.size["width"] <= 390
    shot(driver, "phone-dose.png")
    ask(driver, RED_FLAG_Q)
    shot(driver, "phone-urgent.png")
