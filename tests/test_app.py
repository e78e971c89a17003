"""The interactive page (``sim/app/page.py``): rendered in-process, and end to end in headless Chromium.

Notebook runners do not catch a SolaraViz that fails to render (e.g. Mesa 3.3.1 with
ipyvuetify 3: "module 'reacton.ipyvuetify' has no attribute 'TabsItems'"), so the page itself
is rendered here with ``handle_error=False``, inside an ``AppLayout`` as ``solara run`` does
(the sidebar, with every widget, is only rendered there).

The end-to-end test starts ``solara run sim/app/page.py`` on localhost and drives Debian's
``/usr/bin/chromium`` through Playwright (no browser download). Under ``CI=true`` a missing
browser fails the test; elsewhere it is skipped with the command that installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from solara.widgets import HTML

from sim.app import page as app
from sim.engine.model import TrustModel
from sim.policies import POLICY_NAMES
from sim.runs.api import compose

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = ROOT / "docs" / "img" / "app.png"
INSTALL_HINT = (
    "install Debian's chromium (bash scripts/install_chromium.sh, or apt-get install chromium) "
    "and the dev extra (pip install -e '.[dev,app]')"
)


# ------------------------------------------------------------------------------------------------
# settings -> overrides
# ------------------------------------------------------------------------------------------------
def test_settings_of_a_switched_off_policy_are_not_passed_to_the_config():
    """The config rejects intensities of a policy that is off; the page must not send them."""
    settings = {**app.default_settings(), "insurance_coverage_gain": 0.95, "reform_day": 90}
    cfg = compose(app.overrides(settings))
    assert cfg.policies.enabled() == []
    assert cfg.policies.insurance.coverage_gain == compose([]).policies.insurance.coverage_gain


def test_switched_on_policies_get_their_intensity_and_the_reform_day():
    settings = {**app.default_settings(), "mediation": True, "mediation_uptake": 0.9, "reform_day": 120, "seed": 4}
    cfg = compose(app.overrides(settings))
    assert cfg.policies.enabled() == ["mediation"]
    assert cfg.policies.mediation.uptake == 0.9
    assert cfg.policies.mediation.start_day == 120
    assert cfg.seed == 4


def test_every_policy_has_a_switch_and_a_slider():
    params = app.model_params()
    for policy in POLICY_NAMES:
        assert params[policy]["type"] == "Checkbox"
        assert app.intensity_setting(policy) in params


def test_app_model_rejects_unknown_settings():
    with pytest.raises(TypeError, match="unknown setting"):
        app.TrustApp(scale="tiny", colour="blue")


# ------------------------------------------------------------------------------------------------
# the page, rendered in-process
# ------------------------------------------------------------------------------------------------
def render_page():
    _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    return rc


def headline(rc) -> str:
    texts = [w.unsafe_innerHTML for w in rc.find(HTML).widgets if "headline-day" in (w.unsafe_innerHTML or "")]
    assert len(texts) == 1, f"expected one headline block, found {len(texts)}"
    return texts[0]


def chart_images(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def widget(rc, kind, label):
    found = rc.find(kind, label=label)
    found.assert_single()
    return found.widget


def test_page_renders_charts_and_a_step_changes_them():
    rc = render_page()
    before = chart_images(rc)
    # network view, disputes, violence, trust
    assert len(before) == len(app.COMPONENTS) - 1 == 4
    assert all(image.startswith(b"\x89PNG") for image in before)
    assert "Day 0" in headline(rc)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert f"Day {app.DAYS_PER_STEP}" in headline(rc)
    after = chart_images(rc)
    assert all(b != a for b, a in zip(before, after, strict=True)), "every chart should show the new days"


def test_reset_rebuilds_the_model_from_the_widgets():
    """Switch mediation on, move its slider and the seed, pick the tiny scale, Reset, Step: the
    page then shows what the command line's model shows with the same overrides."""
    rc = render_page()
    widget(rc, v.Checkbox, "Mediation centres").v_model = True
    widget(rc, v.Slider, "Mediation centres: uptake").v_model = 0.9
    widget(rc, v.Slider, "Seed").v_model = 5
    widget(rc, v.Select, "Scale").v_model = "tiny"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    text = headline(rc)
    assert "Day 0" in text and "scale tiny" in text and "seed 5" in text
    assert "Mediation centres (uptake 0.9)" in text
    rc.find(v.Btn, children=["Step"]).widget.click()
    reference = TrustModel(compose(["scale=tiny", "seed=5", "policies=[mediation]", "policies.mediation.uptake=0.9"]))
    reference.run(app.DAYS_PER_STEP)
    text = headline(rc)
    assert f"Day {app.DAYS_PER_STEP}" in text
    assert f"Mean trust in doctors {reference.patients.trust.mean():.3f}" in text


# ------------------------------------------------------------------------------------------------
# end to end: solara server + headless Chromium
# ------------------------------------------------------------------------------------------------
def _browser_or_skip():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package is not installed")
        sync_playwright = None
    if missing:
        message = "; ".join(missing) + ": " + INSTALL_HINT
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """``solara run sim/app/page.py`` on a free localhost port; yields its address."""
    port = _free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    log = (tmp_path / "solara.log").open("w")
    command = [sys.executable, "-m", "solara", "run", "sim/app/page.py", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "--no-open", "--production"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):  # up to a minute for the server to answer
            if process.poll() is not None:
                pytest.fail(f"solara exited with {process.returncode}: {(tmp_path / 'solara.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("solara did not answer within a minute")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_page_in_headless_chromium(server, tmp_path):
    """Load the page, check the four charts, step, move the seed slider and a policy switch,
    reset and step again: the charts change each time. Saves a screenshot."""
    sync_playwright = _browser_or_skip()
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
    ]
    wait_ms = 60_000
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=flags,
            viewport={"width": 1500, "height": 1250},
        )
        try:
            page = browser.new_page()
            page.goto(server)
            day = page.locator(".headline-day")
            charts = page.locator(".vue-grid-item img")

            def expect_day(n: int) -> None:
                page.wait_for_function(
                    "n => document.querySelector('.headline-day')?.textContent === 'Day ' + n", arg=n, timeout=wait_ms
                )

            def snapshot() -> list[str]:
                """Each chart's pixels (as a PNG data URL), read in one go in the page: solara may
                swap an <img> element at any time, so no element handle is kept."""
                return page.evaluate(
                    """() => Promise.all([...document.querySelectorAll('.vue-grid-item img')].map(
                        img => img.decode().then(() => {
                            const canvas = document.createElement('canvas');
                            canvas.width = img.naturalWidth;
                            canvas.height = img.naturalHeight;
                            canvas.getContext('2d').drawImage(img, 0, 0);
                            return canvas.toDataURL();
                        })))"""
                )

            def expect_new_charts(old_sources: list[str]) -> None:
                page.wait_for_function(
                    "old => [...document.querySelectorAll('.vue-grid-item img')].every((img, i) => img.src !== old[i])",
                    arg=old_sources,
                    timeout=wait_ms,
                )

            def slider(label: str):
                return page.locator(".v-input", has=page.get_by_text(label, exact=True)).locator("[role=slider]")

            def sources() -> list[str]:
                return [charts.nth(i).get_attribute("src") for i in range(charts.count())]

            expect_day(0)
            page.wait_for_function("() => document.querySelectorAll('.vue-grid-item img').length >= 4", timeout=wait_ms)
            assert charts.count() == 4
            at_start = snapshot()

            # Step: the charts show the first week
            old = sources()
            page.get_by_role("button", name="Step").click()
            expect_day(app.DAYS_PER_STEP)
            expect_new_charts(old)
            week_seed0 = snapshot()
            unchanged = [i for i, (a, b) in enumerate(zip(at_start, week_seed0, strict=True)) if a == b]
            assert not unchanged, f"charts {unchanged} did not change after a step"

            # move the seed slider by keyboard, switch mediation on, Reset, Step
            seed = slider("Seed")
            seed.focus()
            for _ in range(3):
                seed.press("ArrowRight")
            page.locator(".v-input", has=page.get_by_text("Mediation centres", exact=True)).locator("input").check(
                force=True
            )
            page.get_by_role("button", name="Reset").click()
            expect_day(0)
            assert "seed 3" in page.locator(".vue-grid-layout").inner_text()
            assert "Policies on: Mediation centres" in page.locator(".vue-grid-layout").inner_text()
            old = sources()
            page.get_by_role("button", name="Step").click()
            expect_day(app.DAYS_PER_STEP)
            expect_new_charts(old)
            week_seed3 = snapshot()
            # same day, another seed and policy: the trust chart and the network differ
            assert week_seed3[0] != week_seed0[0]
            assert week_seed3[3] != week_seed0[3]

            # a longer run for the screenshot: the render-interval slider to its end, two steps
            interval = slider("Render Interval (steps)")
            interval.focus()
            interval.press("End")
            days_per_click = int(interval.get_attribute("aria-valuenow"))
            assert days_per_click > app.DAYS_PER_STEP
            for clicks in (1, 2):
                old = sources()
                page.get_by_role("button", name="Step").click()
                expect_day(app.DAYS_PER_STEP + clicks * days_per_click)
                expect_new_charts(old)
            assert re.search(r"Day \d+", day.inner_text())
            # the screenshot shows the top of the page and of the sidebar
            page.evaluate("() => document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("SIM_UPDATE_SCREENSHOT") == "1":
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)
        finally:
            browser.close()
