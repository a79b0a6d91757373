// Vigil dashboard: plain JavaScript, no build step. Pages are functions
// of the hash route; data comes from /api/v1 with the token kept in
// localStorage; live alerts and situation updates come over SSE.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
let token = localStorage.getItem("vigil-token") || "";
let role = "";

// esc makes text safe to put in HTML.
function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path, opts = {}) {
  const r = await fetch("/api/v1/" + path, { ...opts, headers: { Authorization: "Bearer " + token, ...(opts.headers || {}) } });
  if (r.status === 401) { askToken("The token was refused."); throw new Error("unauthorised"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// Formatting.
const fmtTime = ts => ts ? new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) : "";
const fmtNum = n => (n ?? 0).toLocaleString("en-US");
function fmtBytes(b) {
  const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0; b = b || 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return b.toFixed(i ? 1 : 0) + " " + u[i];
}
const sev = s => `<span class="sev sev${esc(s)}">${esc(["", "crit", "high", "med", "info"][s] || s)}</span>`;
const hostLink = h => h ? `<a href="#/host/${encodeURIComponent(h)}">${esc(h)}</a>` : "";
// An incident about exposure, or whose senders were forged, names no attacker.
const attackerLink = h => h ? hostLink(h) : `<span class="muted" title="none named: exposure, or forged senders">—</span>`;
const pct = x => (100 * (x || 0)).toFixed(1) + "%";

function table(id, cols, rows, rowClass = () => "") {
  if (!rows.length) return `<p class="muted" id="${id}-empty">Nothing here yet.</p>`;
  return `<table id="${id}"><thead><tr>${cols.map(c => `<th class="${c.num ? "num" : ""}">${esc(c.t)}</th>`).join("")}</tr></thead>
    <tbody>${rows.map(r => `<tr class="${rowClass(r)}">${cols.map(c => `<td class="${c.num ? "num" : ""}">${c.f(r)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function pager(p, go) {
  const el = document.createElement("div");
  el.className = "pager";
  const last = Math.min(p.offset + p.limit, p.total);
  el.innerHTML = `<button data-d="-1" ${p.offset ? "" : "disabled"}>‹ Prev</button>
    <span class="muted">${p.total ? p.offset + 1 : 0}–${last} of ${fmtNum(p.total)}</span>
    <button data-d="1" ${last < p.total ? "" : "disabled"}>Next ›</button>`;
  el.addEventListener("click", e => { const d = +e.target.dataset.d; if (d) go(Math.max(0, p.offset + d * p.limit)); });
  return el;
}

// Routing.
const routes = {
  "": overview, incidents, incident, alerts, assets, iot, host, ipv6, graph, flows, search, sensor,
};

async function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const [page, qs] = name.split("?");
  document.querySelectorAll("#nav a").forEach(a => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
  const fn = routes[page] || overview;
  main.innerHTML = `<p class="muted">Loading…</p>`;
  try {
    await fn(decodeURIComponent(rest.join("/")), new URLSearchParams(qs || ""));
  } catch (e) {
    main.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

// ---- Overview -----------------------------------------------------------

async function overview() {
  const [s, o, inc] = await Promise.all([api("situation"), api("overview"), api("incidents?status=open&limit=8")]);
  main.innerHTML = `<h1>Situation <span class="muted">at ${esc(fmtTime(s.ts))} (data time)</span></h1>
  <div class="grid">
    <div class="card"><h2>Threat index</h2>
      <div><span class="index" id="index-value">${esc(s.index ?? 0)}</span><span class="level" id="index-level">${esc(s.level)}</span></div>
      <div id="components">${(s.components || []).map(c => `<div class="comp" title="${esc(c.detail)}">
        <span>${esc(c.name)} <span class="muted">×${c.weight}</span></span><div class="bar"><span style="width:${c.value}%"></span></div>
        <span class="num">${c.value}</span></div>`).join("")}</div>
    </div>
    <div class="card wide"><h2>Threat index and forecast (95% band)</h2><div id="index-chart"></div></div>
    <div class="card"><h2>Open incidents</h2>${table("open-incidents", [
      { t: "Sev", f: r => sev(r.severity) }, { t: "Attacker", f: r => attackerLink(r.attacker) },
      { t: "Score", num: 1, f: r => esc(r.score) }, { t: "Last", f: r => `<a href="#/incident/${encodeURIComponent(r.id)}">${esc(fmtTime(r.last_seen))}</a>` }],
      inc.items)}</div>
    <div class="card"><h2>Live alerts</h2><ul id="ticker"></ul></div>
    <div class="card"><h2>Top talkers</h2>${table("talkers", [
      { t: "Host", f: r => hostLink(r.host) }, { t: "Bytes", num: 1, f: r => fmtBytes(r.bytes) }, { t: "Conns", num: 1, f: r => fmtNum(r.conns) }],
      o.top_talkers || [])}</div>
    <div class="card"><h2>Protocol mix</h2><div id="protocols">${bars(o.protocols || [], o.bytes, p => fmtBytes(p.bytes))}</div>
      <h2 style="margin-top:1rem">IPv4 / IPv6</h2>
      <div class="bar" title="IPv6 share of bytes"><span id="v6share" style="width:${pct(o.ipv6_bytes / (o.bytes || 1))}"></span></div>
      <p class="muted">IPv6 ${pct(o.ipv6_bytes / (o.bytes || 1))} of ${fmtBytes(o.bytes)}; ${fmtNum(o.conns)} connections; ${fmtNum(o.assets)} assets</p></div>
    <div class="card"><h2>Services</h2>${bars(o.services || [], o.conns, p => fmtNum(p.count))}</div>
    <div class="card"><h2>Alerts by class</h2>${bars(o.alerts_by_class || [], o.alerts, p => fmtNum(p.count))}</div>
    <div class="card"><h2>Highest asset risk</h2>${table("risks", [
      { t: "Host", f: r => hostLink((r.addrs || [])[0] || r.host) }, { t: "Class", f: r => esc(r.class) },
      { t: "Risk", num: 1, f: r => esc(r.risk) }, { t: "Why", f: r => esc((r.reasons || []).join("; ")) }], (s.asset_risks || []).slice(0, 8))}</div>
  </div>`;
  drawIndexChart($("#index-chart"), s.series || [], s.forecast_index || []);
  if (s.forecast_note) $("#index-chart").insertAdjacentHTML("beforeend", `<p class="muted">${esc(s.forecast_note)}</p>`);
  fillTicker();
}

function bars(list, total, label) {
  if (!list.length) return `<p class="muted">No data.</p>`;
  return list.slice(0, 8).map(p => `<div class="comp"><span>${esc(p.name)}</span>
    <div class="bar"><span style="width:${Math.max(1, 100 * (p.bytes || p.count) / (total || 1))}%"></span></div>
    <span class="num muted">${label(p)}</span></div>`).join("");
}

// drawIndexChart draws the index series and the forecast band as SVG.
function drawIndexChart(el, series, fc) {
  const W = Math.max(el.clientWidth || 800, 300), H = 220, L = 34, B = 22;
  const pts = series.map(p => [p.ts, p.index]);
  const all = pts.concat(fc.map(b => [b.ts, b.mean]));
  if (!all.length) { el.innerHTML = `<p class="muted">No data yet: drop a capture into the inbox.</p>`; return; }
  const t0 = all[0][0], t1 = all[all.length - 1][0] || t0 + 60;
  const x = t => L + (W - L - 8) * (t - t0) / Math.max(1, t1 - t0);
  const y = v => (H - B) - (H - B - 8) * v / 100;
  const path = p => p.map((q, i) => (i ? "L" : "M") + x(q[0]).toFixed(1) + "," + y(q[1]).toFixed(1)).join("");
  const band = fc.length ? path(fc.map(b => [b.ts, b.hi])) + path(fc.slice().reverse().map(b => [b.ts, b.lo])).replace("M", "L") + "Z" : "";
  const lastPt = pts[pts.length - 1];
  const grid = [0, 25, 50, 75, 100].map(v => `<line class="axis" x1="${L}" x2="${W - 8}" y1="${y(v)}" y2="${y(v)}"/><text x="2" y="${y(v) + 4}">${v}</text>`).join("");
  const ticks = [t0, (t0 + t1) / 2, t1].map(t => `<text x="${x(t) - 30}" y="${H - 5}">${fmtTime(t).slice(11, 16)}</text>`).join("");
  el.innerHTML = `<svg id="index-svg" width="100%" viewBox="0 0 ${W} ${H}" role="img" aria-label="threat index chart">
    ${grid}${ticks}<path class="band" d="${band}"/><path class="line" d="${path(pts)}"/>
    <path class="fc" d="${lastPt && fc.length ? path([lastPt].concat(fc.map(b => [b.ts, b.mean]))) : ""}"/></svg>`;
}

// ---- Live updates ---------------------------------------------------------

const liveAlerts = [];
let source;

function connectEvents() {
  if (source) source.close();
  source = new EventSource("/api/v1/events?token=" + encodeURIComponent(token));
  source.addEventListener("hello", () => $("#live").className = "live on");
  source.onerror = () => $("#live").className = "live off";
  source.addEventListener("alert", e => {
    const a = JSON.parse(e.data);
    liveAlerts.unshift(a);
    liveAlerts.length = Math.min(liveAlerts.length, 50);
    addTicker(a, true);
  });
  source.addEventListener("situation", e => {
    const s = JSON.parse(e.data);
    const v = $("#index-value");
    if (v) { v.textContent = s.index; $("#index-level").textContent = s.level; }
  });
}

function addTicker(a, fresh, ul = $("#ticker")) {
  if (!ul) return;
  const li = document.createElement("li");
  if (fresh) li.className = "new";
  li.innerHTML = `${sev(a.severity)} <b>${esc(a.class)}</b> ${hostLink(a.src)} → ${hostLink(a.dst)}
    <div class="muted">${esc(fmtTime(a.ts))} ${esc(a.summary)}</div>`;
  ul.prepend(li);
}

// fillTicker fills the ticker this page drew (a later page may have
// replaced it while the request was out).
async function fillTicker() {
  const ul = $("#ticker");
  const p = await api("alerts?limit=15");
  const shown = new Set();
  p.items.slice().reverse().forEach(a => { shown.add(a.ts + a.class + a.src); addTicker(a, false, ul); });
  liveAlerts.slice().reverse().filter(a => !shown.has(a.ts + a.class + a.src)).forEach(a => addTicker(a, true, ul));
}

// ---- Incidents --------------------------------------------------------------

async function incidents(_, qs) {
  const status = qs.get("status") ?? "open", severity = qs.get("severity") || "", host = qs.get("host") || "";
  const offset = +(qs.get("offset") || 0);
  const p = await api(`incidents?status=${status}&severity=${severity}&host=${encodeURIComponent(host)}&offset=${offset}&limit=25`);
  main.innerHTML = `<h1>Incidents</h1>
    <form class="filters" id="incident-filters">
      <select name="status">${["", "open", "acknowledged", "closed"].map(s => `<option value="${s}" ${s === status ? "selected" : ""}>${s || "any status"}</option>`).join("")}</select>
      <select name="severity">${["", "1", "2", "3", "4"].map(s => `<option value="${s}" ${s === severity ? "selected" : ""}>${s ? "severity ≤ " + s : "any severity"}</option>`).join("")}</select>
      <input name="host" placeholder="host" value="${esc(host)}"><button>Filter</button></form>
    <div class="card">${table("incidents-table", [
      { t: "Sev", f: r => sev(r.severity) }, { t: "Id", f: r => `<a href="#/incident/${encodeURIComponent(r.id)}">${esc(r.id)}</a>` },
      { t: "Attacker", f: r => attackerLink(r.attacker) }, { t: "Victims", f: r => (r.victims || []).slice(0, 4).map(hostLink).join(" ") },
      { t: "Stages", f: r => esc((r.stages || []).join(" → ")) }, { t: "Score", num: 1, f: r => esc(r.score) },
      { t: "Alerts", num: 1, f: r => esc(r.alerts) }, { t: "Status", f: r => esc(r.status) }, { t: "Last seen", f: r => esc(fmtTime(r.last_seen)) }],
      p.items)}</div>`;
  main.querySelector(".card").append(pager(p, o => { qs.set("offset", o); location.hash = "#/incidents?" + qs; }));
  filterForm("#incident-filters", "incidents");
}

function filterForm(sel, page) {
  $(sel).addEventListener("submit", e => {
    e.preventDefault();
    const q = new URLSearchParams(new FormData(e.target));
    location.hash = `#/${page}?` + q;
  });
}

const killChain = ["reconnaissance", "weaponization", "delivery", "exploitation", "installation", "command-and-control", "actions-on-objectives"];

async function incident(id) {
  const d = await api("incidents/" + encodeURIComponent(id));
  const i = d.incident, stages = new Set(i.stages || []);
  const chain = killChain.concat([...stages].filter(s => !killChain.includes(s)));
  main.innerHTML = `<h1>Incident ${esc(i.id)} ${sev(i.severity)} <span class="muted">score ${esc(i.score)} · ${esc(i.status)}</span></h1>
  <div class="grid">
    <div class="card wide"><h2>Narrative</h2><p id="narrative">${esc(i.narrative || "(no narrative)")}</p>
      <div class="chain" id="killchain">${chain.map(s => `<span class="${stages.has(s) ? "hit" : ""}">${esc(s)}</span>`).join("")}</div>
      <p><a id="pcap-link" href="/api/v1/incidents/${encodeURIComponent(i.id)}/pcap?token=${encodeURIComponent(token)}">Download packets (pcap)</a>
      <span class="muted">— read again from the ingested capture${d.sources.length ? ": " + esc(d.sources.join(", ")) : " (none stored: NetFlow or log input)"}</span></p>
      <p class="filters"><button data-s="acknowledged">Acknowledge</button><button data-s="closed">Close</button><button data-s="open">Reopen</button>
      <span id="status-msg" class="muted"></span></p></div>
    <div class="card"><h2>Hosts</h2><p>Attacker ${i.attacker ? hostLink(i.attacker) : `<span class="muted">none named: the incident is about what the victims expose, or its senders were forged</span>`}</p><p>Victims ${(i.victims || []).map(hostLink).join(", ")}</p>
      <p>${(i.classes || []).map(c => `<span class="pill">${esc(c)}</span>`).join("")}</p></div>
    <div class="card"><h2>Kill-chain timeline</h2><div class="tl" id="incident-timeline">${d.alerts.map(a => `<div>
      <b>${esc(fmtTime(a.ts))}</b> ${sev(a.severity)} ${esc(a.class)}<div class="muted">${esc(a.summary)}</div></div>`).join("") || "<p class='muted'>No alerts stored.</p>"}</div></div>
    <div class="card wide"><h2>Evidence: connections</h2>${connTable("evidence-conns", d.conns)}</div>
    <div class="card wide"><h2>Evidence: records</h2>${d.records.length ? d.records.slice(0, 50).map(r => `<pre>${esc(JSON.stringify(r))}</pre>`).join("") : "<p class='muted'>No application records with these uids.</p>"}</div>
  </div>`;
  main.querySelectorAll("button[data-s]").forEach(b => b.addEventListener("click", async () => {
    try {
      await api("incidents/" + encodeURIComponent(i.id), { method: "PATCH", body: JSON.stringify({ status: b.dataset.s }) });
      $("#status-msg").textContent = "Status set to " + b.dataset.s;
    } catch (e) { $("#status-msg").textContent = e.message; }
  }));
}

function connTable(id, conns) {
  return table(id, [
    { t: "Time", f: r => esc(fmtTime(r.ts)) }, { t: "Orig", f: r => hostLink(r["id.orig_h"]) + ":" + esc(r["id.orig_p"]) },
    { t: "Resp", f: r => hostLink(r["id.resp_h"]) + ":" + esc(r["id.resp_p"]) }, { t: "Proto", f: r => esc(r.proto) },
    { t: "Service", f: r => esc(r.service) }, { t: "State", f: r => esc(r.conn_state) },
    { t: "Bytes", num: 1, f: r => fmtBytes((r.orig_ip_bytes || 0) + (r.resp_ip_bytes || 0)) }, { t: "uid", f: r => esc(r.uid) }], conns);
}

// ---- Alerts -------------------------------------------------------------------

async function alerts(_, qs) {
  const cls = qs.get("class") || "", severity = qs.get("severity") || "", host = qs.get("host") || "";
  const offset = +(qs.get("offset") || 0);
  const p = await api(`alerts?class=${encodeURIComponent(cls)}&severity=${severity}&host=${encodeURIComponent(host)}&offset=${offset}&limit=50`);
  main.innerHTML = `<h1>Alerts</h1>
    <form class="filters" id="alert-filters"><input name="class" placeholder="class (scan, ipv6…)" value="${esc(cls)}">
      <select name="severity">${["", "1", "2", "3", "4"].map(s => `<option value="${s}" ${s === severity ? "selected" : ""}>${s ? "severity ≤ " + s : "any severity"}</option>`).join("")}</select>
      <input name="host" placeholder="host" value="${esc(host)}"><button>Filter</button></form>
    <div class="card">${alertTable("alerts-table", p.items)}</div>`;
  main.querySelector(".card").append(pager(p, o => { qs.set("offset", o); location.hash = "#/alerts?" + qs; }));
  filterForm("#alert-filters", "alerts");
}

function alertTable(id, items) {
  return table(id, [
    { t: "Time", f: r => esc(fmtTime(r.ts)) }, { t: "Sev", f: r => sev(r.severity) }, { t: "Class", f: r => esc(r.class) },
    { t: "Src", f: r => hostLink(r.src) }, { t: "Dst", f: r => hostLink(r.dst) }, { t: "Summary", f: r => esc(r.summary) }], items);
}

// ---- Assets and IoT ---------------------------------------------------------------

async function assets(_, qs) {
  const cls = qs.get("class") || "", finding = qs.get("finding") || "", q = qs.get("q") || "";
  const offset = +(qs.get("offset") || 0);
  const p = await api(`assets?class=${encodeURIComponent(cls)}&finding=${encodeURIComponent(finding)}&q=${encodeURIComponent(q)}&offset=${offset}&limit=50`);
  main.innerHTML = `<h1>Assets</h1>
    <form class="filters" id="asset-filters"><input name="q" placeholder="address, MAC, vendor, name" value="${esc(q)}">
      <input name="class" placeholder="device class" value="${esc(cls)}" list="classes">
      <datalist id="classes">${["workstation", "server", "router", "camera", "printer", "iot", "ics", "phone", "nas", "speaker", "smart-plug"].map(c => `<option value="${c}">`).join("")}</datalist>
      <input name="finding" placeholder="finding (iot, iot.default_creds)" value="${esc(finding)}"><button>Filter</button></form>
    <div class="card">${assetTable("assets-table", p.items)}</div>`;
  main.querySelector(".card").append(pager(p, o => { qs.set("offset", o); location.hash = "#/assets?" + qs; }));
  filterForm("#asset-filters", "assets");
}

function assetTable(id, items) {
  return table(id, [
    { t: "Host", f: r => (r.addrs || []).slice(0, 3).map(hostLink).join(" ") || esc(r.host) }, { t: "MAC", f: r => esc(r.mac) },
    { t: "Vendor", f: r => esc(r.vendor) }, { t: "Class", f: r => esc(r.class) }, { t: "Device", f: r => esc(r.device) },
    { t: "OS", f: r => esc(r.os) },
    { t: "Names", f: r => esc((r.names || []).slice(0, 3).join(", ")) },
    { t: "Services", f: r => (r.services || []).slice(0, 5).map(s => `<span class="pill">${esc(s)}</span>`).join("") },
    { t: "Findings", f: r => (r.findings || []).map(s => `<span class="pill">${esc(s)}</span>`).join("") },
    { t: "Last seen", f: r => esc(fmtTime(r.last_seen)) }], items, r => (r.findings || []).length ? "attack" : "");
}

async function iot() {
  const d = await api("iot?limit=200");
  main.innerHTML = `<h1>IoT and OT devices</h1><div class="grid">
    <div class="card"><h2>Device classes</h2>${bars(Object.entries(d.classes).map(([name, count]) => ({ name, count })), d.devices.total, p => fmtNum(p.count))}</div>
    <div class="card"><h2>Findings</h2>${bars(Object.entries(d.findings).map(([name, count]) => ({ name, count })), d.devices.total, p => fmtNum(p.count))}</div>
    <div class="card wide"><h2>Devices</h2>${assetTable("iot-table", d.devices.items)}</div>
    <div class="card wide"><h2>IoT alerts</h2>${alertTable("iot-alerts", d.alerts)}</div></div>`;
}

// ---- Host -----------------------------------------------------------------------

async function host(addr) {
  const h = await api("hosts/" + encodeURIComponent(addr));
  const a = h.assets[0] || {};
  main.innerHTML = `<h1>Host ${esc(addr)} <span class="muted">${esc(a.class || "")} ${esc(a.vendor || "")}</span></h1>
  <div class="grid">
    <div class="card"><h2>Identity</h2><p>Addresses: ${esc((a.addrs || [addr]).join(", "))}</p><p>MAC ${esc(a.mac || "—")} · OS ${esc(a.os || "—")}</p>
      <p>Names: ${esc(h.names.slice(0, 8).join(", ") || "—")}</p>
      <p>${fmtBytes(h.bytes)} in ${fmtNum(h.conns)} connections</p>
      <p>${(a.findings || []).map(f => `<span class="pill">${esc(f)}</span>`).join("")}</p>
      <p><a href="#/flows?host=${encodeURIComponent(addr)}">All flows</a> · <a href="#/alerts?host=${encodeURIComponent(addr)}">All alerts</a></p></div>
    <div class="card"><h2>Services offered</h2>${table("host-services", [{ t: "Service", f: r => esc(r.name) }, { t: "Conns", num: 1, f: r => fmtNum(r.count) }], h.services || [])}</div>
    <div class="card"><h2>Peers</h2>${table("host-peers", [{ t: "Peer", f: r => hostLink(r.host) }, { t: "Bytes", num: 1, f: r => fmtBytes(r.bytes) }, { t: "Conns", num: 1, f: r => fmtNum(r.conns) }], h.peers || [])}</div>
    <div class="card wide"><h2>Alerts</h2>${alertTable("host-alerts", h.alerts || [])}</div>
    <div class="card wide"><h2>Recent flows</h2>${connTable("host-flows", h.flows || [])}</div></div>`;
}

// ---- IPv6 -------------------------------------------------------------------------

async function ipv6() {
  const v = await api("ipv6");
  const s = v.summary || {};
  main.innerHTML = `<h1>IPv6</h1><div class="grid">
    <div class="card"><h2>Posture</h2><p>IPv6 share of bytes <b id="v6-share">${pct(v.ipv6_share_bytes)}</b></p>
      <p>${fmtNum(s.hosts)} hosts · ${fmtNum(s.routers)} routers (${fmtNum(s.rogue_routers)} not legitimate) · ${fmtNum(s.hosts_leaking_mac)} leak their MAC (EUI-64)</p>
      <p>Address kinds: ${Object.entries(s.address_kinds || {}).map(([k, n]) => `<span class="pill">${esc(k)} ${n}</span>`).join("")}</p>
      <p>Prefixes: ${(s.prefixes || []).map(p => `<span class="pill">${esc(p)}</span>`).join("") || "—"}</p></div>
    <div class="card"><h2>Routers</h2>${table("v6-routers", [{ t: "Link-local", f: r => esc(r.link_local) }, { t: "MAC", f: r => esc(r.mac) },
      { t: "Prefixes", f: r => esc((r.prefixes || []).join(" ")) }, { t: "Pref", f: r => esc(r.preference) },
      { t: "Legit", f: r => r.legitimate ? "yes" : `<span class="error">no</span>` }, { t: "RAs", num: 1, f: r => esc(r.adverts) }], v.routers)}</div>
    <div class="card"><h2>Tunnels</h2>${table("v6-tunnels", [{ t: "Kind", f: r => esc(r.kind) }, { t: "Outer", f: r => esc(r.outer) },
      { t: "Conns", num: 1, f: r => esc(r.conns) }, { t: "Bytes", num: 1, f: r => fmtBytes(r.bytes) }], v.tunnels)}</div>
    <div class="card wide"><h2>IPv6 alerts</h2>${alertTable("v6-alerts", v.alerts || [])}</div>
    <div class="card wide"><h2>Neighbour discovery events</h2>${table("nd-events", [{ t: "Time", f: r => esc(fmtTime(r.ts)) }, { t: "Type", f: r => esc(r.type) },
      { t: "Src", f: r => esc(r.src) }, { t: "Dst", f: r => esc(r.dst) }, { t: "MAC", f: r => esc(r.src_mac) },
      { t: "Detail", f: r => esc(r.prefixes ? JSON.stringify(r.prefixes) : (r.target || "")) }], v.nd_events.slice(0, 60))}</div></div>`;
}

// ---- Graph --------------------------------------------------------------------------

async function graph(_, qs) {
  const g = await api("graph?limit=" + (qs.get("limit") || 30) + "&window=" + (qs.get("window") || "all"));
  // Group hosts by address so subnets sit together on the circle.
  g.nodes.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  const ranked = g.nodes.slice().sort((a, b) => b.bytes - a.bytes);
  const labelled = new Set(ranked.slice(0, 24).map(n => n.id).concat(g.nodes.filter(n => n.alerts).map(n => n.id)));
  main.innerHTML = `<h1>Who talks to whom <span class="muted">(red: pairs with alerts)</span></h1><div class="card"><div id="graph"></div></div>`;
  const el = $("#graph"), W = Math.max(el.clientWidth, 600), H = 640, R = Math.min(W, H) / 2 - 90;
  const idx = new Map(g.nodes.map((n, i) => [n.id, i]));
  const pos = g.nodes.map((n, i) => {
    const a = 2 * Math.PI * i / Math.max(1, g.nodes.length);
    return [W / 2 + R * Math.cos(a), H / 2 + R * Math.sin(a), a];
  });
  const maxB = Math.max(1, ...g.edges.map(e => e.bytes));
  const edges = g.edges.map(e => {
    const [x1, y1] = pos[idx.get(e.src)], [x2, y2] = pos[idx.get(e.dst)];
    const w = e.attack ? 2.5 : 0.5 + 3 * Math.sqrt(e.bytes / maxB);
    return `<path class="edge ${e.attack ? "attack" : ""}" stroke-width="${w.toFixed(1)}" fill="none"
      d="M${x1},${y1} Q${W / 2},${H / 2} ${x2},${y2}"><title>${esc(e.src)} → ${esc(e.dst)}: ${fmtBytes(e.bytes)}${e.classes ? " · " + esc(e.classes.join(", ")) : ""}</title></path>`;
  }).join("");
  const nodes = g.nodes.map((n, i) => {
    const [x, y, a] = pos[i], right = Math.cos(a) >= 0;
    const label = `${esc(n.id)}${n.class ? " · " + esc(n.class) : ""}`;
    return `<a href="#/host/${encodeURIComponent(n.id)}"><circle class="node ${n.alerts ? "alerted" : ""}" cx="${x}" cy="${y}"
      r="${2 + Math.min(5, Math.log10(1 + n.bytes))}"><title>${label}: ${fmtBytes(n.bytes)}</title></circle>
      ${labelled.has(n.id) ? `<text x="${x + (right ? 9 : -9)}" y="${y + 4}" text-anchor="${right ? "start" : "end"}">${label}</text>` : ""}</a>`;
  }).join("");
  el.innerHTML = `<svg id="graph-svg" width="100%" viewBox="0 0 ${W} ${H}">${edges}${nodes}</svg>`;
}

// ---- Flows, search, sensor -----------------------------------------------------------

async function flows(_, qs) {
  const f = k => qs.get(k) || "";
  const offset = +(f("offset") || 0);
  const p = await api(`flows?host=${encodeURIComponent(f("host"))}&port=${f("port")}&proto=${f("proto")}&window=${f("window")}&offset=${offset}&limit=50`);
  main.innerHTML = `<h1>Flow search</h1>
    <form class="filters" id="flow-filters"><input name="host" placeholder="host" value="${esc(f("host"))}">
      <input name="port" placeholder="port" size="6" value="${esc(f("port"))}">
      <select name="proto">${["", "tcp", "udp", "icmp"].map(s => `<option ${s === f("proto") ? "selected" : ""} value="${s}">${s || "any proto"}</option>`).join("")}</select>
      <select name="window">${["", "1h", "6h", "24h", "7d"].map(s => `<option ${s === f("window") ? "selected" : ""} value="${s}">${s ? "last " + s : "all time"}</option>`).join("")}</select>
      <button>Search</button></form><div class="card">${connTable("flows-table", p.items)}</div>`;
  main.querySelector(".card").append(pager(p, o => { qs.set("offset", o); location.hash = "#/flows?" + qs; }));
  filterForm("#flow-filters", "flows");
}

async function search(_, qs) {
  const q = qs.get("q") || "";
  const r = await api("search?q=" + encodeURIComponent(q));
  main.innerHTML = `<h1>Search: ${esc(q)}</h1><div class="grid">
    ${r.hosts.length ? `<div class="card"><h2>Host</h2>${r.hosts.map(hostLink).join("<br>")}</div>` : ""}
    <div class="card wide"><h2>Incidents</h2>${table("search-incidents", [{ t: "Id", f: x => `<a href="#/incident/${encodeURIComponent(x.id)}">${esc(x.id)}</a>` },
      { t: "Attacker", f: x => attackerLink(x.attacker) }, { t: "Narrative", f: x => esc(x.narrative) }], r.incidents)}</div>
    <div class="card wide"><h2>Alerts</h2>${alertTable("search-alerts", r.alerts)}</div>
    <div class="card wide"><h2>Assets</h2>${assetTable("search-assets", r.assets)}</div>
    <div class="card wide"><h2>DNS names</h2>${table("search-dns", [{ t: "Last", f: x => esc(fmtTime(x.ts)) }, { t: "Query", f: x => esc(x.query) },
      { t: "Type", f: x => esc(x.qtype_name) }, { t: "Answers", f: x => esc(x.answers) }, { t: "Client", f: x => hostLink(x["id.orig_h"]) }], r.dns)}</div>
    <div class="card wide"><h2>Connections</h2>${connTable("search-conns", r.conns)}</div></div>`;
}

async function sensor() {
  const d = await api("sensor");
  const s = d.sensor;
  main.innerHTML = `<h1>Sensor</h1><div class="grid">
    <div class="card"><h2>Ingest</h2><p>${fmtNum(s.files)} files stored, ${fmtNum(s.failed)} failed; ${fmtNum(s.queue)} waiting in <code>${esc(d.inbox)}</code></p>
      <p>${fmtNum(s.packets)} packets, ${fmtBytes(s.bytes)}, ${fmtNum(s.records)} records; drops ${fmtNum(s.drops)}</p>
      <p>Last file ${esc(s.last_file || "—")} (${(s.ingest_lag_s || 0).toFixed(1)} s from stable to stored)${s.current ? "; now " + esc(s.current) : ""}</p>
      <p class="error">${esc(s.last_error || "")}</p>
      ${d.netflow ? `<p>NetFlow: ${fmtNum(d.netflow.flows)} flows in ${fmtNum(d.netflow.datagrams)} datagrams, ${fmtNum((d.netflow.kernel_drops || 0) + (d.netflow.queue_drops || 0))} dropped (receive buffer full), ${fmtNum(d.netflow.flows_without_addresses || 0)} records without addresses, ${fmtNum(d.netflow.refused_datagrams || 0)} refused (too many exporters), buffer ${fmtBytes(d.netflow.read_buffer)}</p>` : "<p class='muted'>NetFlow off (--netflow :2055)</p>"}
      <p class="muted">Live clients ${d.sse_clients}; events dropped ${d.sse_dropped}</p></div>
    ${s.live ? `<div class="card" id="live-capture"><h2>Live capture</h2>${table("live", [{ t: "Interface", f: l => esc(l.interface) },
      { t: "Rings", num: 1, f: l => fmtNum(l.rings) }, { t: "Packets", num: 1, f: l => fmtNum(l.packets) },
      { t: "Kernel drops", num: 1, f: l => `<span class="${l.drops ? "error" : ""}">${fmtNum(l.drops)}</span>` },
      { t: "Lag", num: 1, f: l => (l.lag_s || 0).toFixed(2) + " s" }, { t: "Last packet", f: l => esc(l.last_packet ? fmtTime(Date.parse(l.last_packet) / 1000) : "—") }], s.live)}
      <p class="muted">Drops: packets lost because a ring was full; lag: now minus the newest packet analysed (0 when caught up).</p></div>` : ""}
    <div class="card"><h2>Stored rows</h2>${table("rows", [{ t: "Table", f: r => esc(r[0]) }, { t: "Rows", num: 1, f: r => fmtNum(r[1]) }], Object.entries(d.rows))}</div>
    <div class="card wide"><h2>Runs</h2>${table("runs", [{ t: "Id", f: r => esc(r.id) }, { t: "Kind", f: r => esc(r.kind) }, { t: "Source", f: r => esc(r.source) },
      { t: "Status", f: r => esc(r.status) }, { t: "Packets", num: 1, f: r => fmtNum(r.packets) }, { t: "Records", num: 1, f: r => fmtNum(r.records) },
      { t: "Took", num: 1, f: r => r.duration_s ? r.duration_s.toFixed(1) + " s" : "" }, { t: "Error", f: r => esc(r.error) }], d.runs)}</div></div>`;
}

// ---- Token, theme, start ----------------------------------------------------------------

function askToken(msg) {
  $("#login-error").textContent = msg || "";
  if (!$("#login").open) $("#login").showModal();
}

$("#login-form").addEventListener("submit", async e => {
  e.preventDefault();
  token = $("#token-input").value.trim();
  try {
    role = (await api("whoami")).role;
    localStorage.setItem("vigil-token", token);
    $("#login").close();
    connectEvents();
    route();
  } catch (err) { $("#login-error").textContent = err.message; }
});

$("#search-form").addEventListener("submit", e => {
  e.preventDefault();
  location.hash = "#/search?q=" + encodeURIComponent($("#search-input").value);
});

function setTheme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem("vigil-theme", t);
}
$("#theme").addEventListener("click", () => setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"));
setTheme(localStorage.getItem("vigil-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));

window.addEventListener("hashchange", route);
(async () => {
  if (!token) return askToken();
  try { role = (await api("whoami")).role; } catch { return; }
  connectEvents();
  route();
})();
