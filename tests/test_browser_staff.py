"""The staff tab in a real headless Chromium: locked until the password, golden run with downloads, coverage chart,
feedback review; patients without FORAMEN_STAFF_PASSWORD get no staff tab; the coverage HTML report renders."""
from __future__ import annotations

import json
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import test_browser
from test_browser import DOSE_Q, ask, open_page, shot, wait_for

from bot import cli

driver = test_browser.driver  # the same headless Chromium fixture (flags, skip rule), one per module

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "golden.jsonl"
PASSWORD = "staff-Pässword-42"
XSS_Q = '<img src=x onerror="window.__xss=1"> **what** dose?'
KINDS = ("fact", "dose", "list", "item", "faq", "followup", "oos", "redflag")
WAIT_RUN = 60  # a coverage run asks a few hundred questions; a few seconds here, more on a slow machine


@pytest.fixture(scope="module")
def staff_site(app_factory):
    """An app with the staff tab (question logging on, so disliked questions show up in the review)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORAMEN_STAFF_PASSWORD", PASSWORD)
        return app_factory(FORAMEN_LOG_QUESTIONS="1")


@pytest.fixture(scope="module")
def golden8(tmp_path_factory) -> Path:
    """Eight real golden items, one of each of eight kinds."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    picked = [next(line for line in lines if json.loads(line)["kind"] == k) for k in KINDS]
    path = tmp_path_factory.mktemp("upload") / "golden-8.jsonl"
    path.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return path


def displayed(driver, css: str) -> list:
    return [e for e in driver.find_elements("css selector", css) if e.is_displayed()]


def inner_tab(driver, label: str) -> None:
    driver.find_element("xpath", f"//*[@id='fm-staff-tools']//button[@role='tab'][normalize-space(.)='{label}']").click()


def unlock(driver, password: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = wait_for(driver, lambda d: displayed(d, "#fm-staff-password input"))[0]
    box.clear()
    box.send_keys(password, Keys.ENTER)


def uploaded(driver, name: str) -> list:
    return driver.find_elements("css selector", f"#fm-staff-golden-file td.filename[aria-label='{name}']")


def links(driver, css: str) -> dict[str, str]:
    """File name -> URL of the download links inside a gr.File."""
    return {a.get_attribute("download"): a.get_attribute("href") for a in displayed(driver, f"{css} a[download]")}


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode("utf-8")


def test_staff_tab_locked_then_golden_run_feedback_and_coverage(driver, staff_site, golden8):
    for _ in range(2):
        staff_site.store.record(str(uuid.uuid4()), "down", "unclear", XSS_Q)
    open_page(driver, staff_site.url, 1280, 900)
    assert displayed(driver, "#fm-chat")  # patients land on the chat, which works as before
    assert "400–600 mg" in ask(driver, DOSE_Q).text
    driver.find_element("id", "fm-staff-button").click()

    # locked: a password box and nothing else
    wait_for(driver, lambda d: displayed(d, "#fm-staff-password input"))
    assert not displayed(driver, "#fm-staff-tools") and not displayed(driver, "#fm-staff-golden-run")
    unlock(driver, "wrong password")
    msg = wait_for(driver, lambda d: [e for e in displayed(d, "#fm-staff-login-msg") if "not right" in e.text])[0]
    assert msg.text.startswith("Sorry — that password is not right")
    assert not displayed(driver, "#fm-staff-tools")

    unlock(driver, PASSWORD)
    wait_for(driver, lambda d: displayed(d, "#fm-staff-tools"))
    assert not displayed(driver, "#fm-staff-password input")  # the login row is gone
    assert "not right" not in driver.find_element("id", "fm-staff-login-msg").text

    # golden run: upload eight questions, run, read the per-kind table, download the results
    inner_tab(driver, "Golden run")
    upload = wait_for(driver, lambda d: d.find_elements("css selector", "#fm-staff-golden-file input[type=file]"))[0]
    upload.send_keys(str(golden8))
    wait_for(driver, lambda d: uploaded(d, "golden-8.jsonl"))
    driver.find_element("id", "fm-staff-golden-run").click()
    kinds = wait_for(driver, lambda d: [e for e in displayed(d, "#fm-staff-kinds") if "overall" in e.text], WAIT_RUN)[0]
    for kind in KINDS:
        assert kind in kinds.text
    assert "Overall" in driver.find_element("id", "fm-staff-golden-msg").text
    assert displayed(driver, "#fm-staff-golden-chart svg")
    files = wait_for(driver, lambda d: len(links(d, "#fm-staff-downloads")) == 2 and links(d, "#fm-staff-downloads"))
    assert set(files) == {"golden-results.jsonl", "golden-results.csv"}
    csv_text = fetch(files["golden-results.csv"])
    assert csv_text.startswith("id,kind,question,passed,") and len(csv_text.strip().splitlines()) >= 9
    rows = [json.loads(line) for line in fetch(files["golden-results.jsonl"]).splitlines()]
    assert [r["kind"] for r in rows] == list(KINDS)
    assert "/tmp" not in driver.find_element("id", "fm-staff-tools").text  # no server paths on the page
    shot(driver, "staff.png")

    # feedback review: patient text shows as text and the candidates file is offered
    inner_tab(driver, "Feedback review")
    driver.find_element("id", "fm-staff-feedback-run").click()
    table = wait_for(driver, lambda d: [e for e in displayed(d, "#fm-staff-feedback") if "unclear" in e.text])[0]
    assert XSS_Q in table.text  # shown literally: no markdown, no HTML
    assert not driver.find_elements("css selector", "#fm-staff-feedback img, #fm-staff-feedback strong")
    assert driver.execute_script("return window.__xss") is None
    assert "2 disliked answers" in driver.find_element("id", "fm-staff-feedback-msg").text
    candidates = wait_for(driver, lambda d: links(d, "#fm-staff-candidates"))
    [(name, url)] = candidates.items()
    assert name == "feedback-candidates.jsonl"
    assert {json.loads(line)["question"] for line in fetch(url).splitlines()} == {XSS_Q}
    shot(driver, "staff-feedback.png")

    # coverage: the run draws the charts
    inner_tab(driver, "Coverage")
    driver.find_element("id", "fm-staff-coverage-run").click()
    bar = wait_for(driver, lambda d: displayed(d, "#fm-staff-coverage-msg [role=progressbar]"))[0]  # gr.Progress
    assert "questions" in (bar.get_attribute("aria-valuetext") or "")
    svg = wait_for(driver, lambda d: displayed(d, "#fm-staff-coverage-chart svg"), WAIT_RUN)[0]
    assert svg.size["width"] > 100 and svg.size["height"] > 100
    assert "entries probed" in driver.find_element("id", "fm-staff-coverage-msg").text
    assert "Pharmacological Treatments" in driver.find_element("id", "fm-staff-coverage-table").text
    shot(driver, "staff-coverage.png")


def test_a_bad_golden_file_gets_a_message_naming_the_line(driver, staff_site, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOLDEN.read_text(encoding="utf-8").splitlines()[0] + '\n{"id": "x", "kind": "fact"}\n', encoding="utf-8")
    open_page(driver, staff_site.url, 1280, 900)
    driver.find_element("id", "fm-staff-button").click()
    unlock(driver, PASSWORD)
    wait_for(driver, lambda d: displayed(d, "#fm-staff-tools"))
    inner_tab(driver, "Golden run")
    driver.find_element("css selector", "#fm-staff-golden-file input[type=file]").send_keys(str(bad))
    wait_for(driver, lambda d: uploaded(d, "bad.jsonl"))
    driver.find_element("id", "fm-staff-golden-run").click()
    msg = wait_for(driver, lambda d: [e for e in displayed(d, "#fm-staff-golden-msg") if "line 2" in e.text])[0]
    assert "bad.jsonl line 2 is missing the key 'question'" in msg.text
    assert "Traceback" not in msg.text and "/tmp" not in msg.text
    assert not links(driver, "#fm-staff-downloads")


def test_patients_get_no_staff_tab_without_the_password(driver, app_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("FORAMEN_STAFF_PASSWORD", raising=False)
        site = app_factory()
    open_page(driver, site.url, 1280, 900)
    assert displayed(driver, "#fm-chat")
    assert not driver.find_elements("css selector", "#fm-staff-button, #fm-staff, [role=tab], [role=tablist]")
    assert "Staff" not in driver.find_element("tag name", "body").text


def test_coverage_html_report_renders_its_charts(driver, tmp_path, capsys):
    out = tmp_path / "coverage.html"
    assert cli.main(["coverage", "--out", str(out)]) == 0
    assert f"HTML report: {out}" in capsys.readouterr().out
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    driver.get(out.as_uri())
    svgs = wait_for(driver, lambda d: displayed(d, "svg"))
    assert len(svgs) == 2
    for svg in svgs:
        assert svg.size["width"] > 100 and svg.size["height"] > 100
    assert driver.find_element("tag name", "h1").text == "Entry coverage"
    time.sleep(0.2)  # let the page settle before the picture
    shot(driver, "coverage-report.png")
