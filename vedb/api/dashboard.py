"""The database health dashboard: one self-contained page (no CDN), which fetches
/api/admin/db-health with an admin token from its URL fragment (#token=..., never sent to the
server or its logs) or its form, and refreshes every 30 seconds."""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Database health</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d232b; }
  header { background: #1d232b; color: #fff; padding: 16px 28px; display: flex;
           align-items: center; gap: 18px; }
  header h1 { font-size: 20px; margin: 0; font-weight: 600; }
  #meta { opacity: .75; font-size: 13px; }
  main { padding: 20px 28px; display: grid; gap: 14px; align-items: start;
         grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
  .card { background: #fff; border-radius: 8px; padding: 14px 16px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); border-left: 6px solid #9aa5b1; }
  .card h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; }
  .ok { border-color: #2f9e44; } .info { border-color: #1c7ed6; }
  .warning { border-color: #f08c00; } .critical { border-color: #e03131; }
  .badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; color: #fff;
           text-transform: uppercase; letter-spacing: .04em; }
  .badge.ok { background: #2f9e44; } .badge.info { background: #1c7ed6; }
  .badge.warning { background: #f08c00; } .badge.critical { background: #e03131; }
  ul { margin: 0; padding-left: 18px; } li { margin: 4px 0; }
  .subject { font-family: ui-monospace, monospace; font-size: 13px; }
  .none { color: #6b7785; }
  form { display: flex; gap: 8px; } input { padding: 6px; width: 260px; }
  #error { color: #e03131; padding: 0 28px; }
</style>
</head>
<body>
<header>
  <h1>Database health</h1>
  <span id="overall" class="badge">…</span>
  <span id="meta">loading</span>
  <form id="auth" hidden><input id="token" type="password" placeholder="admin token">
    <button>Show</button></form>
</header>
<p id="error" role="alert"></p>
<main id="checks"></main>
<script>
const $ = (id) => document.getElementById(id);
let token = new URLSearchParams(location.hash.slice(1)).get("token")
  || sessionStorage.getItem("vedb-admin-token");
function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content; if (cls) el.className = cls; return el;
}
function render(report) {
  $("overall").textContent = report.status;
  $("overall").className = "badge " + report.status;
  $("meta").textContent = report.database + " · PostgreSQL " + report.server_version.split(" ")[0]
    + " · checked " + report.checked_at;
  const main = $("checks"); main.replaceChildren();
  for (const [name, check] of Object.entries(report.checks)) {
    const card = text("section", "", "card " + check.status); card.id = "check-" + name;
    const title = text("h2", check.title); title.append(text("span", check.status, "badge " + check.status));
    card.append(title);
    if (!check.findings.length) card.append(text("p", "Nothing found.", "none"));
    const list = document.createElement("ul");
    for (const f of check.findings) {
      const item = text("li", ""); item.append(text("span", f.subject, "subject"), " — " + f.detail);
      list.append(item);
    }
    if (check.findings.length) card.append(list);
    main.append(card);
  }
}
async function load() {
  if (!token) { $("auth").hidden = false; $("meta").textContent = "an admin token is needed"; return; }
  try {
    const answer = await fetch("/api/admin/db-health", {headers: {Authorization: "Bearer " + token}});
    if (!answer.ok) throw new Error("HTTP " + answer.status + ": " + (await answer.text()));
    $("error").textContent = ""; render(await answer.json());
  } catch (e) { $("error").textContent = String(e); }
}
$("auth").addEventListener("submit", (e) => {
  e.preventDefault(); token = $("token").value;
  sessionStorage.setItem("vedb-admin-token", token); $("auth").hidden = true; load();
});
if (location.hash) history.replaceState(null, "", location.pathname);  // keep it off screen
load(); setInterval(load, 30000);
</script>
</body>
</html>
"""
