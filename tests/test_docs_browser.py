"""The docs page in a real browser: a service with auth and offline docs, served by uvicorn, its
`/docs` driven in headless Chromium (Debian's `chromium`, through Playwright from PyPI; no browser
download). Nothing the page loads leaves the machine; Authorize signs in with the password flow;
"Try it out" on a protected route answers 200; a wrong password reads as an error in the dialog.
A screenshot of each step lands in the test's temporary folder.
"""

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import support

CHROMIUM = Path("/usr/bin/chromium")
EMAIL, PASSWORD = "ada@example.com", "correct horse battery"
SERVED_ENV = {"AUTH_SECRET_KEY": "a-test-signing-key-that-is-long-enough-for-hs256"}
PROTECTED = "#operations-auth-auth_get_me"  # GET /auth/me: Swagger UI's id is the tag and operation id
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

if not CHROMIUM.is_file():
    pytest.skip(f"the docs browser test needs Debian's chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the docs browser test needs playwright (uv sync)")


@pytest.fixture(scope="module")
def served(template: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A service with auth and offline docs, one registered user, served on a free port."""
    project = support.shared_render(template, tmp_path_factory.mktemp("docs") / "acme", auth="jwt", offline_docs=True)
    env = {**SERVED_ENV, "DATABASE_URL": f"sqlite+aiosqlite:///{project}/served.db"}
    with support.served(project, service_env, env) as base:
        status, body = support.request("POST", f"{base}/auth/register", {"email": EMAIL, "password": PASSWORD})
        assert status == 202, body
        yield base


@pytest.fixture
def browser_page(served: str) -> Iterator[tuple["sync_api.Page", list[str]]]:
    """A page of headless Chromium, and the list of every request it tried to send off this
    machine (refused, so that a CDN the page needs shows as a failure here, online or not)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            outside: list[str] = []

            def local_only(route: "sync_api.Route") -> None:
                if urllib.parse.urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", local_only)
            yield page, outside
        finally:
            browser.close()


def authorize(page: "sync_api.Page", password: str) -> "sync_api.Locator":
    """Open Authorize, fill the password flow's form and send it; the dialog."""
    page.click("button.authorize")
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill(EMAIL)
    dialog.locator("#oauth_password").fill(password)
    dialog.locator(".auth-btn-wrapper button.authorize").click()
    return dialog


def test_docs_sign_in_and_try_a_protected_route(
    served: str, browser_page: tuple["sync_api.Page", list[str]], tmp_path: Path
) -> None:
    page, outside = browser_page
    shots = iter(range(1, 10))

    def screenshot(step: str) -> None:
        page.screenshot(path=tmp_path / f"{next(shots)}-{step}.png", full_page=True)

    page.goto(f"{served}/docs")
    page.wait_for_selector(PROTECTED)
    page.wait_for_load_state("networkidle")
    screenshot("docs")
    assert outside == [], f"/docs sent requests off the machine: {outside}"
    assert page.title() == "Acme Shop - Swagger UI"
    loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    assert f"{served}/docs/assets/swagger-ui-bundle.js" in loaded, loaded

    # A wrong password: the dialog says why, in words, and no token is kept.
    dialog = authorize(page, "not the password")
    error = dialog.locator(".errors")
    error.wait_for()
    screenshot("wrong-password")
    assert "invalid_grant" in error.inner_text()
    assert "email or password" in error.inner_text().lower(), error.inner_text()
    assert dialog.locator("button", has_text="Logout").count() == 0
    page.click(".modal-ux .close-modal")

    dialog = authorize(page, PASSWORD)
    dialog.locator("button", has_text="Logout").wait_for()
    screenshot("signed-in")
    assert dialog.locator(".errors").count() == 0
    page.click(".modal-ux .close-modal")

    operation = page.locator(PROTECTED)
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table .response")
    response.wait_for()
    screenshot("protected-route")
    assert response.locator(".response-col_status").inner_text().strip() == "200"
    assert EMAIL in response.locator(".response-col_description").inner_text()
    assert outside == [], f"/docs sent requests off the machine: {outside}"
