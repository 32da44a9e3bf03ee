// Options: saved to storage.local on every change; the worker listens for the change.
import { ALL_SITES, ext } from "../shared/platform.js";
import { DEFAULT_SERVER, getSettings, normaliseServer, saveSettings } from "../shared/settings.js";

const $ = (id) => document.getElementById(id);
const server = $("server");
const status = $("server-status");
const saved = $("saved");

function say(node, text, kind = "") {
  node.textContent = text;
  node.dataset.kind = kind;
}

async function check() {
  const address = normaliseServer(server.value);
  if (!address) return say(status, "Use an address on this computer, like http://127.0.0.1:8787.", "bad");
  say(status, `Checking ${address}…`);
  const res = await ext.runtime.sendMessage({ type: "check-server", server: address })
    .catch((err) => ({ ok: false, error: { message: String(err?.message ?? err) } }));
  if (res.ok) {
    const v = res.data?.rules ? ` with ${res.data.rules} rules` : "";
    say(status, `Connected: the clausewatch server answers at ${address}${v}.`, "good");
  } else if (res.error?.kind === "offline") {
    say(status, `No server at ${address}. Start it with ./dev serve from your clausewatch checkout.`, "bad");
  } else {
    say(status, res.error?.message ?? "The server did not answer as expected.", "bad");
  }
}

async function load() {
  const s = await getSettings();
  server.value = s.server;
  $("autoBadge").checked = s.autoBadge;
  $("autoAnalyze").checked = s.autoAnalyze;
}

server.addEventListener("change", async () => {
  const address = normaliseServer(server.value || DEFAULT_SERVER);
  if (!address) return say(status, "Use an address on this computer, like http://127.0.0.1:8787.", "bad");
  server.value = address;
  await saveSettings({ server: address });
  say(saved, "Saved.", "good");
  check();
});

$("check").addEventListener("click", check);

$("autoBadge").addEventListener("change", async (e) => {
  await saveSettings({ autoBadge: e.target.checked });
  say(saved, "Saved.", "good");
});

// Automatic analysis needs access to every site, asked for only now (it is optional in the manifest).
$("autoAnalyze").addEventListener("change", async (e) => {
  let on = e.target.checked;
  if (on) {
    on = await ext.permissions.request(ALL_SITES).catch(() => false);
    e.target.checked = on;
    if (!on) return say(saved, "Not turned on: clausewatch needs permission to read pages to analyse them.", "bad");
  }
  await saveSettings({ autoAnalyze: on });
  say(saved, "Saved.", "good");
});

$("form").addEventListener("submit", (e) => e.preventDefault());
load();
