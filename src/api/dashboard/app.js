// The Shoal dashboard. Everything it shows comes from the daemon's
// token-protected JSON API; the token is typed into the login form, kept in
// sessionStorage (this tab only, never in the URL) and sent as
// `Authorization: Bearer`. No library, nothing from the network but the API;
// charts are SVG drawn here. Text goes in with textContent only.
"use strict";

const TOKEN_KEY = "shoal-api-token";
const REFRESH_MS = 5000;
const HISTORY_MINUTES = 60;
let timer = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

class Unauthorized extends Error {}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  if (res.status === 401) throw new Unauthorized("the token was refused");
  if (!res.ok) {
    let message = res.status + " " + res.statusText;
    try { message = (await res.json()).error || message; } catch (e) { /* keep the status */ }
    throw new Error(path + ": " + message);
  }
  return res.json();
}

function clock(unix) {
  const d = new Date(unix * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" +
    p(d.getMinutes()) + ":" + p(d.getSeconds());
}

function hhmm(unix) {
  const d = new Date(unix * 1000);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}

function age(seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return seconds + "s";
  if (seconds < 7200) return Math.floor(seconds / 60) + "m";
  if (seconds < 172800) return Math.floor(seconds / 3600) + "h" + String(Math.floor(seconds % 3600 / 60)).padStart(2, "0") + "m";
  return Math.floor(seconds / 86400) + "d";
}

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    tbody.append(el("tr", {}, el("td", { class: "empty", colspan: String(columns) }, emptyText)));
    return;
  }
  for (const r of rows) tbody.append(r);
}

function td(text, cls) { return el("td", cls ? { class: cls } : {}, text); }

function renderGroups(groups, instances) {
  const rows = groups.map((g) => {
    const byPool = {};
    for (const i of instances) {
      if (i.group === g.name && i.state === "in-service") byPool[i.pool] = (byPool[i.pool] || 0) + 1;
    }
    const pools = Object.keys(byPool).sort().map((p) => p + ": " + byPool[p]).join(", ") || "—";
    const conditions = (g.conditions || []).map((c) => c.type + " (" + c.code + ")").join(", ") || "—";
    return el("tr", { "data-group": g.name },
      td(g.name, "name"), td(g.service), td(g.min, "num"), td(g.max, "num"),
      td(g.desired, "num desired"), td(g.in_service, "num in-service"), td(g.starting, "num"),
      td(g.leaving, "num"), td(g.spot, "num"), td(g.on_demand, "num"), td(g.release || "—", "num release"),
      td(pools, "pools"), td(conditions, "cause"));
  });
  fill($("groups").tBodies[0], rows, 13, "no groups");
}

function renderDeploys(groups) {
  const box = $("deploys");
  box.replaceChildren();
  let any = false;
  for (const g of groups) {
    const d = g.deploy;
    if (!d) continue;
    any = true;
    const active = d.phase === "rolling" || d.phase === "rolling-back";
    const line = el("div", { class: "deploy", "data-group": g.name },
      el("strong", {}, g.name + " deploy #" + d.id + ": "),
      el("span", { class: "phase-" + d.phase }, d.phase),
      " — release " + d.from_version + " → " + d.to_version + " (" + d.ref + "), batch " + d.batch +
      ", " + d.replaced + " replaced in " + d.batches + " batch" + (d.batches === 1 ? "" : "es"),
      active && d.analysing_until > 0 ? ", analysing until " + clock(d.analysing_until) : "",
      d.new_release && d.new_release.requests > 0
        ? ", new release " + d.new_release.error_percent.toFixed(2) + "% errors of " + d.new_release.requests +
          " requests" : "",
      d.result ? " — " + d.result : "",
      active ? " (in progress)" : "");
    box.append(line);
  }
  if (!any) box.append(el("p", { class: "empty" }, "no deploy yet"));
}

function renderInstances(instances, now) {
  const rows = instances.map((i) => el("tr", { "data-id": i.id },
    td(i.id, "id"), td(i.group), td(i.state, "state state-" + i.state), td(i.market), td(i.pool),
    td(i.version, "num release"), td(age(now - i.launched_at), "num age"), td(i.address || "—"),
    td(i.notice_deadline ? "terminates " + clock(i.notice_deadline)
      : i.rebalance_recommended_at ? "at risk since " + clock(i.rebalance_recommended_at) : "")));
  fill($("instances").tBodies[0], rows, 9, "no instances");
}

function renderActivities(activities) {
  const newest = activities.slice().reverse();
  const rows = newest.slice(0, 50).map((a) => a.unreadable
    ? el("tr", { "data-seq": a.seq }, td("seq " + a.seq), td(""), td("unreadable"), td(""), td(a.unreadable, "cause"))
    : el("tr", { "data-seq": a.seq }, td(clock(a.time)), td(a.group), td(a.kind, "kind"),
      td(a.from + " → " + a.to, "num"), td(a.cause, "cause")));
  fill($("activities").tBodies[0], rows, 5, "no activity yet");
  const spot = newest.filter((a) => a.kind === "spot-notice" || a.kind === "rebalance").map((a) =>
    el("tr", { "data-seq": a.seq }, td(clock(a.time)), td(a.group),
      td(a.kind === "spot-notice" ? "interruption notice" : "rebalance"), td(a.cause, "cause")));
  fill($("interruptions").tBodies[0], spot, 4, "no spot interruptions in the recent activity");
}

// A line chart: `series` are {key, label, values (null: no data), axis:
// "left"|"right"}; each axis scales to its own largest value.
function chart(title, times, series, leftUnit, rightUnit) {
  const W = 560, H = 200, L = 44, R = rightUnit ? 48 : 12, T = 10, B = 24;
  const box = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title });
  const top = (axis) => {
    let m = 0;
    for (const s of series) if (s.axis === axis) for (const v of s.values) if (v !== null && v > m) m = v;
    return m > 0 ? m * 1.15 : 1;
  };
  const max = { left: top("left"), right: top("right") };
  const n = times.length;
  const x = (i) => L + (n <= 1 ? 0 : (W - L - R) * i / (n - 1));
  const y = (v, axis) => T + (H - T - B) * (1 - v / max[axis]);
  for (let k = 0; k <= 4; k++) {
    const gy = T + (H - T - B) * k / 4;
    box.append(svg("line", { x1: L, x2: W - R, y1: gy, y2: gy, class: "grid" }));
    const fmt = (v) => (v === 0 ? "0" : v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(2))));
    box.append(svg("text", { x: L - 4, y: gy + 3, "text-anchor": "end" }, fmt(max.left * (4 - k) / 4)));
    if (rightUnit) box.append(svg("text", { x: W - R + 4, y: gy + 3 }, fmt(max.right * (4 - k) / 4)));
  }
  box.append(svg("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }));
  box.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }));
  for (const i of [0, Math.floor((n - 1) / 2), n - 1]) {
    if (n > 0) box.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, hhmm(times[i])));
  }
  for (const s of series) {
    let d = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v, s.axis).toFixed(1) + " ";
      pen = true;
    });
    if (d) box.append(svg("path", { d: d.trim(), class: "line s-" + s.key, "data-series": s.key }));
    // Each minute's value as a dot too, so a lone minute shows.
    s.values.forEach((v, i) => {
      if (v !== null) box.append(svg("circle", { cx: x(i).toFixed(1), cy: y(v, s.axis).toFixed(1), r: 2, class: "dot s-" + s.key }));
    });
  }
  const legend = el("div", { class: "legend" });
  for (const s of series) {
    legend.append(el("span", { class: "k-" + s.key }, "— " + s.label + " (" + (s.axis === "left" ? leftUnit : rightUnit) + ")"));
  }
  return el("div", { class: "chart" }, el("h3", {}, title), box, legend);
}

function renderCharts(histories) {
  const box = $("charts");
  box.replaceChildren();
  for (const h of histories) {
    const times = h.points.map((p) => p.time);
    const pick = (k) => h.points.map((p) => (p[k] === null || p[k] === undefined ? null : p[k]));
    const inService = pick("in_service");
    const rpt = pick("requests_per_target");
    // Requests per minute over the group: per target times the targets serving.
    const requests = rpt.map((v, i) => (v === null || inService[i] === null ? null : v * inService[i]));
    const row = el("div", { class: "charts", "data-group": h.group });
    row.append(chart(h.group + ": demand vs capacity", times, [
      { key: "in-service", label: "in service", values: inService, axis: "left" },
      { key: "desired", label: "desired", values: pick("desired"), axis: "left" },
      { key: "requests", label: "requests/min", values: requests, axis: "right" },
    ], "instances", "requests/min"));
    row.append(chart(h.group + ": cost and CPU", times, [
      { key: "cost", label: "cost", values: pick("cost_per_hour"), axis: "left" },
      { key: "cpu", label: "CPU", values: pick("cpu_percent"), axis: "right" },
    ], "USD/h", "%"));
    box.append(row);
  }
}

async function refresh() {
  try {
    const [groups, instances, activities] = await Promise.all([
      api("/v1/groups"), api("/v1/instances"), api("/v1/activities?limit=200")]);
    const histories = await Promise.all(groups.map((g) =>
      api("/v1/groups/" + encodeURIComponent(g.name) + "/history?minutes=" + HISTORY_MINUTES)));
    const now = histories.length > 0 ? histories[0].now : Math.floor(Date.now() / 1000);
    renderGroups(groups, instances);
    renderDeploys(groups);
    renderInstances(instances, now);
    renderActivities(activities);
    renderCharts(histories);
    $("dashboard").hidden = false;
    $("login-panel").hidden = true;
    $("logout").hidden = false;
    $("status").textContent = "updated " + clock(now) + " · refreshes every " + REFRESH_MS / 1000 + " s";
    $("status").setAttribute("data-updated", String(now));
  } catch (e) {
    if (e instanceof Unauthorized) {
      logout("The daemon refused this token (401): paste the one in DATA_DIR/api-token.");
      return;
    }
    $("status").textContent = "cannot reach the API: " + e.message;
  }
}

// A log line's RFC 3339 time (microseconds, UTC) as the page's other times.
function logTime(rfc3339) {
  const ms = Date.parse(String(rfc3339).replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? String(rfc3339) : clock(ms / 1000);
}

// The log search: what the form asks of /v1/logs, shown as rows. The daemon
// checks the parameters; its 400 message is shown as it is.
async function searchLogs() {
  const params = new URLSearchParams({ limit: "200" });
  for (const [id, key] of [["log-target", "target"], ["log-grep", "grep"], ["log-since", "since"]]) {
    const v = $(id).value.trim();
    if (v) params.set(key, v);
  }
  $("log-status").textContent = "searching…";
  try {
    const answer = await api("/v1/logs?" + params.toString());
    const rows = answer.lines.map((l) => el("tr", { "data-seq": String(l.seq) },
      td(logTime(l.time)), td(l.group), td(l.instance), td(l.stream), td(l.text, "log-line")));
    fill($("logs").tBodies[0], rows, 5, "no line matches");
    $("log-status").textContent = answer.lines.length + " line(s)";
  } catch (e) {
    if (e instanceof Unauthorized) {
      logout("The daemon refused this token (401): paste the one in DATA_DIR/api-token.");
      return;
    }
    $("logs").tBodies[0].replaceChildren();
    $("log-status").textContent = e.message;
  }
}

function start() {
  if (timer !== null) clearInterval(timer);
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (timer !== null) clearInterval(timer);
  timer = null;
  // Nothing the token showed stays on the page.
  for (const id of ["groups", "instances", "interruptions", "activities", "logs"]) $(id).tBodies[0].replaceChildren();
  $("log-status").textContent = "";
  $("deploys").replaceChildren();
  $("charts").replaceChildren();
  $("dashboard").hidden = true;
  $("login-panel").hidden = false;
  $("logout").hidden = true;
  $("status").textContent = "";
  $("login-error").textContent = message || "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("token").value.trim();
    $("token").value = "";
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login-error").textContent = "";
    start();
  });
  $("logout").addEventListener("click", () => logout(""));
  $("log-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    searchLogs();
  });
  if (sessionStorage.getItem(TOKEN_KEY)) start();
});
