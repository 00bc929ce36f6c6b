"""Headless Chromium driven over the DevTools protocol, for the tests that look at real pages: the static
gallery (loaded from files) and the Prefect UI (a single-page app that fetches its data after loading)."""

import asyncio
import base64
import io
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from websockets.asyncio.client import connect

CHROMIUM = shutil.which("chromium")
CHROMIUM_START_TIMEOUT_S = 30  # seconds to wait for the DevTools endpoint
PAGE_LOAD_TIMEOUT_S = 30  # seconds to wait for a page's load event
TEXT_POLL_INTERVAL_S = 0.5  # seconds between two reads of a page's text while waiting for it
SCREEN_SIZE = (1280, 900)  # pixels of the headless window
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
]
IMAGES_JS = """JSON.stringify(Array.from(document.images).map(function (i) {
  var r = i.getBoundingClientRect();
  return {src: i.getAttribute('src'), natural: i.naturalWidth, x: r.x, y: r.y, w: r.width, h: r.height};
}))"""
BODY_TEXT_JS = "document.body ? document.body.innerText : ''"


class ChromiumError(RuntimeError):
    """Chromium did not start, or a page did not load in time."""


@dataclass
class PageLoad:
    """What one page did while loading: requests, failures, console errors, exceptions, and a screenshot."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # failed requests: network error or HTTP status >= 400
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    screenshot: Image.Image | None = None
    images: list[dict] = field(default_factory=list)  # every <img>: natural size, where it is drawn
    text: str = ""  # document.body.innerText when the page was last read
    urls: dict[str, str] = field(default_factory=dict)  # DevTools request id -> URL

    def record(self, message: dict) -> None:
        """Keep what a DevTools event says about the page's requests and errors."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self.urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            url = self.urls.get(params.get("requestId"), f"request {params.get('requestId')}")
            self.failed.append(f"{params.get('errorText')} {url}")
        elif method == "Network.responseReceived" and params["response"].get("status", 200) >= 400:
            self.failed.append(f"{params['response']['status']} {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(json.dumps(params["args"])[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])


class DevToolsPage:
    """One tab's DevTools websocket: numbered calls, with every event received meanwhile recorded."""

    def __init__(self, ws, page: PageLoad) -> None:
        self.ws = ws
        self.page = page
        self.last_id = 0

    async def call(self, method: str, **params) -> dict:
        self.last_id += 1
        call_id = self.last_id
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == call_id:
                return message.get("result", {})
            self.page.record(message)

    async def navigate(self, url: str) -> None:
        """Open `url` and wait for its load event, recording requests and errors on the way."""
        for domain in ("Page", "Network", "Runtime", "Log"):
            await self.call(f"{domain}.enable")
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + PAGE_LOAD_TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic()))
            self.page.record(message)
            if message.get("method") == "Page.loadEventFired":
                return
        raise ChromiumError(f"{url} did not load within {PAGE_LOAD_TIMEOUT_S} s")

    async def evaluate(self, expression: str):
        """The JSON value of a JavaScript expression in the page."""
        answer = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"]["value"]


@contextmanager
def running_chromium(profile: Path, port: int) -> Iterator[str]:
    """A headless Chromium with remote debugging on loopback `port`; yields the DevTools HTTP endpoint."""
    if CHROMIUM is None:
        raise ChromiumError("chromium is not installed: run scripts/bootstrap.sh (it installs chromium)")
    process = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            f"--window-size={SCREEN_SIZE[0]},{SCREEN_SIZE[1]}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + CHROMIUM_START_TIMEOUT_S
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/json/version", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise ChromiumError(
                    f"chromium did not open its DevTools port {port} in {CHROMIUM_START_TIMEOUT_S} s"
                ) from None
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def in_new_tab(endpoint: str, url: str, visit: Callable[[DevToolsPage], Awaitable[None]]) -> PageLoad:
    """Open a tab, navigate it to `url`, run `visit` on it, close the tab; what the page did."""

    async def run(ws_url: str) -> PageLoad:
        page = PageLoad()
        async with connect(ws_url, max_size=None) as ws:
            tab = DevToolsPage(ws, page)
            await tab.navigate(url)
            await visit(tab)
        return page

    request = urllib.request.Request(f"{endpoint}/json/new?about:blank", method="PUT")
    target = json.loads(urllib.request.urlopen(request, timeout=10).read())
    try:
        return asyncio.run(run(target["webSocketDebuggerUrl"]))
    finally:
        urllib.request.urlopen(f"{endpoint}/json/close/{target['id']}", timeout=10).read()


def load_page(endpoint: str, url: str) -> PageLoad:
    """Load `url` until its load event; then where its images are drawn and a screenshot."""

    async def look(tab: DevToolsPage) -> None:
        tab.page.images = json.loads(await tab.evaluate(IMAGES_JS))
        shot = await tab.call("Page.captureScreenshot", format="png")
        tab.page.screenshot = Image.open(io.BytesIO(base64.b64decode(shot["data"])))

    return in_new_tab(endpoint, url, look)


def wait_for_text(endpoint: str, url: str, expected: list[str], timeout_s: float) -> PageLoad:
    """Load `url` and read its text until it contains every string in `expected` or `timeout_s` passes
    (a single-page app fills the page from its API after the load event). The caller checks `text`."""

    async def poll(tab: DevToolsPage) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            tab.page.text = await tab.evaluate(BODY_TEXT_JS)
            if all(s in tab.page.text for s in expected) or time.monotonic() > deadline:
                return
            await asyncio.sleep(TEXT_POLL_INTERVAL_S)

    return in_new_tab(endpoint, url, poll)
