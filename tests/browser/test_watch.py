"""The browser watch itself: proof that the checks every browser test relies on can fail."""

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_a_csp_violation_and_a_console_error_are_caught(page: Page, problems):
    page.goto("/login")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.head.append(script);
        console.error("something broke");
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.inlineRan") is None, "the CSP let an inline script run"
    assert [v["directive"] for v in problems.csp_violations] == ["script-src-elem"]
    assert any("something broke" in line for line in problems.console_errors)
    assert any("Content Security Policy" in line for line in problems.console_errors)
    # Seen: clear them, so this test's own teardown check passes.
    problems.csp_violations.clear()
    problems.console_errors.clear()


def test_an_uncaught_exception_and_a_failed_request_are_caught(page: Page, problems):
    page.goto("/login")
    page.evaluate("setTimeout(() => { throw new Error('uncaught on purpose'); })")
    page.goto("/no-such-page")
    page.wait_for_timeout(100)
    assert any("uncaught on purpose" in line for line in problems.page_errors)
    assert any("status of 404" in line for line in problems.console_errors)
    problems.page_errors.clear()
    problems.console_errors.clear()


def test_a_reload_is_noticed(page: Page):
    page.goto("/login")
    page.evaluate("window.__noReload = 1")
    page.reload()
    assert page.evaluate("window.__noReload") is None
