"""Debian's firefox-esr driven through Marionette, with the extension as a temporary add-on.

Firefox runs headless on a fresh profile, with Marionette on a free port. The profile pins the
extension's moz-extension:// UUID (Firefox otherwise draws a random one per profile), so tests can
open its pages by address. Extension APIs are called from one of its own pages (the options page):
Marionette cannot enter the background script, but any extension page has the same `browser`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from live_server import free_port, stop_process

FIREFOX = shutil.which("firefox-esr")
EXTENSION_UUID = "3b7c9f2e-5a1d-4c8e-9f60-2d4e8a1b7c35"


def addon_id(extension: Path) -> str:
    return json.loads((extension / "manifest.json").read_text())["browser_specific_settings"]["gecko"]["id"]


def wait_for_port(proc: subprocess.Popen, port: int, timeout: float = 60.0):
    """Until Firefox's Marionette listens. marionette_driver polls with sockets it never closes when
    a connection is refused (ResourceWarning, an error under our filterwarnings), so we poll first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Firefox's Marionette never listened on {port} (exit status {proc.poll()})")


def proxy_script(hosts: tuple[str, ...], pages_port: int) -> str:
    """A PAC file, Firefox's counterpart of Chromium's --host-resolver-rules: the vendor hosts go to
    the page server, every other name to a closed port, so nothing leaves the machine. Loopback
    never reaches a PAC (network.proxy.allow_hijacking_localhost is false)."""
    return ("data:text/javascript," + "function FindProxyForURL(url, host) {"
            f"  if ({json.dumps(list(hosts))}.includes(host)) return 'PROXY 127.0.0.1:{pages_port}';"
            "  return 'PROXY 127.0.0.1:9'; }")


def prefs(marionette_port: int, extension: Path, pac: str) -> dict:
    return {
        "marionette.port": marionette_port,
        "extensions.webextensions.uuids": json.dumps({addon_id(extension): EXTENSION_UUID}),
        "network.proxy.type": 2,
        "network.proxy.autoconfig_url": pac,
        # The vendor hosts are served over plain http: no upgrade attempt, no HSTS preload list.
        "dom.security.https_first": False,
        "dom.security.https_first_schemeless": False,
        "network.stricttransportsecurity.preloadlist": False,
        # No background traffic: updates, telemetry, remote settings, safe browsing, captive portal.
        "app.update.disabledForTesting": True,
        "extensions.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.enabled": False,
        "services.settings.server": "http://127.0.0.1:9/v1",
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "browser.safebrowsing.downloads.enabled": False,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "browser.startup.page": 0,
        "browser.aboutwelcome.enabled": False,
    }


class Firefox:
    """One headless firefox-esr with the extension installed; `ext` runs extension API calls."""

    def __init__(self, profile: Path, extension: Path, log_path: Path, proxied_hosts: tuple[str, ...],
                 pages_port: int):
        from marionette_driver.addons import Addons
        from marionette_driver.marionette import Marionette

        port = free_port()
        pac = proxy_script(proxied_hosts, pages_port)
        (profile / "user.js").write_text("".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n"
                                                 for k, v in prefs(port, extension, pac).items()))
        self.log = open(log_path, "w", encoding="utf-8")
        # -remote-allow-system-access: without it Marionette may not open moz-extension:// pages.
        self.proc = subprocess.Popen([FIREFOX, "-marionette", "-remote-allow-system-access", "-no-remote",
                                      "-profile", str(profile)],
                                     env={**os.environ, "MOZ_HEADLESS": "1"},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.client = Marionette(host="127.0.0.1", port=port)
        try:
            wait_for_port(self.proc, port)
            self.client.start_session(timeout=60)
            Addons(self.client).install(str(extension), temp=True)
            self.control = self.client.current_window_handle
            self.client.navigate(f"moz-extension://{EXTENSION_UUID}/src/options/options.html")
        except BaseException:
            self.close()
            raise

    def ext(self, body: str, *args):
        """Await `body` (an async function body using `browser` and `args`) in the extension's
        options page, and return its JSON value."""
        here = self.client.current_window_handle
        self.client.switch_to_window(self.control, focus=False)
        try:
            # The sandbox sees the page through X-rays; wrappedJSObject is the page's own `browser`.
            reply = self.client.execute_async_script(
                "const [args, resolve] = arguments; const browser = window.wrappedJSObject.browser;"
                f"(async () => {{ {body} }})().then("
                "  (v) => resolve(JSON.stringify({ok: v ?? null})), (e) => resolve(JSON.stringify({error: String(e)})));",
                script_args=(args,))
        finally:
            self.client.switch_to_window(here, focus=False)
        reply = json.loads(reply)
        if "error" in reply:
            raise AssertionError(f"extension call failed: {reply['error']}")
        return reply["ok"]

    def open(self, url: str, window: bool = False) -> str:
        """A new tab (or window) at url; its handle."""
        handle = self.client.open(type="window" if window else "tab", focus=True)["handle"]
        self.client.switch_to_window(handle)
        self.client.navigate(url)
        return handle

    def page(self, handle: str, script: str, *args):
        """Run `script` (a function body) in the tab `handle`."""
        self.client.switch_to_window(handle, focus=False)
        return self.client.execute_script(script, script_args=args)

    def close_tab(self, handle: str):
        if handle in self.client.window_handles:
            self.client.switch_to_window(handle, focus=False)
            self.client.close()
        self.client.switch_to_window(self.control, focus=False)

    def close(self):
        try:
            if self.client.session is not None:
                self.client.delete_session()
        finally:
            stop_process(self.proc)
            self.log.close()
