"use strict";
// /insights: every panel asks the analytics API (so Redis caches it as it caches any client)
// and records what it drew in its data-plotted attribute, for the tests and for a person who
// wants the numbers. The token comes from the form or the URL fragment (#token=..., which is
// never sent to the server) and lives in sessionStorage: it is gone when the browser session
// ends.
const $ = (id) => document.getElementById(id);
const KEY = "vedb-insights-token";
const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromFragment) {
  sessionStorage.setItem(KEY, fromFragment);
  history.replaceState(null, "", location.pathname + location.search);
}

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(name, params) {
  const query = new URLSearchParams(params || {}).toString();
  const answer = await fetch("/api/analytics/" + name + (query ? "?" + query : ""), {
    headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) },
  });
  if (!answer.ok) {
    let detail = answer.statusText;
    try { detail = (await answer.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new ApiError(answer.status, String(detail));
  }
  return answer.json();
}

function el(tag, content, cls) {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  if (cls) node.className = cls;
  return node;
}

function body(id) { return $(id).querySelector(".body"); }

function explain(error) {
  if (error.status === 401) return "Token not accepted (401): sign in with another one.";
  if (error.status === 403) return "This token may not read this (403): " + error.message;
  return "Could not load (" + (error.status || "no answer") + "): " + error.message;
}

function failed(id, error) {
  body(id).replaceChildren(el("p", explain(error), "error"));
  $(id).dataset.error = String(error.status || 0);
  delete $(id).dataset.plotted;
  if (error.status === 401) signedOut("That token was not accepted (401). Sign in with another.");
}

function plotted(id, data) { $(id).dataset.plotted = JSON.stringify(data); delete $(id).dataset.error; }

const pct = (v) => (v === null ? "–" : (100 * v).toFixed(1) + " %");
const epoch = (day) => Date.parse(day + "T00:00:00Z") / 1000;

function line(id, labels, values, label, format) {
  const target = body(id);
  target.replaceChildren();
  const width = Math.max(320, target.clientWidth || 600);
  // uPlot draws on a canvas; a null value is a gap in the line.
  new uPlot({
    width, height: 220,
    scales: { x: { time: true } },
    series: [{}, { label, stroke: "#1c7ed6", width: 2, fill: "rgba(28,126,214,.08)",
                   value: (_, v) => (v === null ? "–" : format(v)) }],
    axes: [{}, { values: (_, ticks) => ticks.map(format), size: 60 }],
  }, [labels.map(epoch), values], target);
  plotted(id, { x: labels, y: values });
}

function bars(id, rows, format) {
  const target = body(id);
  const box = el("div", undefined, "bars");
  const top = Math.max(...rows.map((r) => r.value || 0), 1e-9);
  for (const r of rows) {
    const row = el("div", undefined, "row");
    const bar = el("div", undefined, "bar");
    bar.style.width = (100 * (r.value || 0) / top).toFixed(2) + "%";
    row.append(el("span", r.label, "label"), el("div"), el("span", format(r.value), "value"));
    row.children[1].append(bar);
    box.append(row);
  }
  target.replaceChildren(rows.length ? box : el("p", "No rows yet.", "none"));
  plotted(id, rows.map((r) => [r.label, r.value]));
}

function table(id, columns, rows) {
  const target = body(id);
  if (!rows.length) { target.replaceChildren(el("p", "No rows.", "none")); plotted(id, []); return; }
  const t = el("table");
  const head = el("tr");
  for (const [title] of columns) head.append(el("th", title));
  t.append(head);
  for (const r of rows) {
    const tr = el("tr");
    for (const [, cell] of columns) tr.append(el("td", cell(r)));
    t.append(tr);
  }
  target.replaceChildren(t);
  plotted(id, rows);
}

async function dau(days) {
  for (const b of $("dau").querySelectorAll("button")) b.classList.toggle("on", b.dataset.days === String(days));
  const rows = await api("daily_active_users", { days });
  line("dau", rows.map((r) => r.day), rows.map((r) => r.active_users), "students", (v) => String(v));
}

async function mau() {
  const rows = await api("monthly_active_users", { months: 12 });
  line("mau", rows.map((r) => r.month), rows.map((r) => r.active_users), "students", (v) => String(v));
}

async function stickiness() {
  const rows = await api("engagement_stickiness", { days: 30 });
  line("stickiness", rows.map((r) => r.day), rows.map((r) => r.stickiness), "DAU/MAU", pct);
}

async function cohorts() {
  const rows = await api("cohort_retention", { weeks: 8 });
  const weeks = [...new Set(rows.map((r) => r.week_number))].sort((a, b) => a - b);
  const byCohort = new Map();
  for (const r of rows) {
    if (!byCohort.has(r.cohort_week)) byCohort.set(r.cohort_week, { size: r.cohort_size, cells: new Map() });
    byCohort.get(r.cohort_week).cells.set(r.week_number, r.retention);
  }
  const t = el("table", undefined, "heat");
  const head = el("tr");
  head.append(el("th", "cohort week"), el("th", "students"));
  for (const w of weeks) head.append(el("th", "week " + w));
  t.append(head);
  for (const [week, cohort] of byCohort) {
    const tr = el("tr");
    tr.append(el("td", week), el("td", String(cohort.size)));
    for (const w of weeks) {
      const value = cohort.cells.has(w) ? cohort.cells.get(w) : null;
      const td = el("td", value === null ? "" : pct(value), "cell");
      if (value !== null) td.style.background = "rgba(28,126,214," + (0.08 + 0.85 * value).toFixed(3) + ")";
      tr.append(td);
    }
    t.append(tr);
  }
  body("cohorts").replaceChildren(rows.length ? t : el("p", "No cohorts yet.", "none"));
  plotted("cohorts", rows.map((r) => [r.cohort_week, r.week_number, r.retention]));
}

async function course(id) {
  const [funnel, drop] = await Promise.allSettled([
    api("learning_funnel", { course_id: id }),
    api("lesson_dropoff", { course_id: id }),
  ]);
  if (funnel.status === "fulfilled") {
    bars("funnel", funnel.value.map((r) => ({ label: r.stage, value: r.learners })), String);
  } else failed("funnel", funnel.reason);
  if (drop.status === "fulfilled") {
    table("dropoff", [
      ["lesson", (r) => r.position + ". " + r.title], ["started", (r) => String(r.started)],
      ["completed", (r) => String(r.completed)], ["stopped here", (r) => String(r.stopped_here)],
      ["drop-off", (r) => pct(r.dropoff_rate)],
    ], drop.value);
    plotted("dropoff", drop.value.map((r) => [r.lesson_id, r.started, r.completed, r.stopped_here]));
  } else failed("dropoff", drop.reason);
}

async function topCourses() {
  const rows = await api("top_courses", { limit: 10 });
  bars("top", rows.map((r) => ({ label: r.title, value: r.enrollments })), String);
  const select = $("course");
  select.replaceChildren(...rows.map((r) => { const o = el("option", r.title); o.value = r.course_id; return o; }));
  $("funnel").dataset.course = rows.length ? String(rows[0].course_id) : "";
  if (rows.length) await course(rows[0].course_id);
}

async function gamified() {
  const rows = await api("gamification_effectiveness");
  bars("gamified", rows.flatMap((r) => [
    { label: r.group + ": completion", value: r.course_completion_rate },
    { label: r.group + ": active 30 d", value: r.active_30d_rate },
  ]), pct);
}

async function atRisk() {
  const rows = await api("at_risk_students", { inactive_days: 14, limit: 20 });
  table("atrisk", [
    ["student", (r) => r.display_name], ["courses", (r) => String(r.enrolled_courses)],
    ["progress", (r) => pct(r.avg_progress)], ["days inactive", (r) => String(r.days_inactive)],
    ["risk", (r) => r.risk_score.toFixed(2)],
  ], rows);
  plotted("atrisk", rows.map((r) => [r.user_id, r.risk_score]));
}

function signedOut(why) {
  sessionStorage.removeItem(KEY);
  $("auth").hidden = false;
  $("signout").hidden = true;
  $("notice").textContent = why;
  $("notice").hidden = false;
}

async function load() {
  document.body.dataset.state = "loading";
  if (!sessionStorage.getItem(KEY)) { signedOut("Sign in with an API token that has the read scope."); document.body.dataset.state = "signed-out"; return; }
  $("auth").hidden = true;
  $("signout").hidden = false;
  $("notice").hidden = true;
  const panels = { dau: () => dau(30), mau, stickiness, cohorts, top: topCourses, gamified, atrisk: atRisk };
  await Promise.all(Object.entries(panels).map(([id, draw]) => draw().catch((error) => {
    failed(id, error);
    if (id === "top") { failed("funnel", error); failed("dropoff", error); }
  })));
  // Since navigation began: what `vedb bench insights` reports as the page complete.
  document.body.dataset.completeMs = String(Math.round(performance.now()));
  document.body.dataset.state = "complete";
}

$("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  load();
});
$("signout").addEventListener("click", () => signedOut("Signed out."));
for (const b of $("dau").querySelectorAll("button")) {
  b.addEventListener("click", () => dau(Number(b.dataset.days)).catch((e) => failed("dau", e)));
}
$("course").addEventListener("change", (event) => {
  $("funnel").dataset.course = event.target.value;
  course(Number(event.target.value));
});
load();
