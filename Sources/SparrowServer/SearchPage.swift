/// The search page served at `/`: one HTML file with its style and script inline, so it needs no
/// build step, no CDN and nothing but the server. It lists the collections, searches one with
/// text or a pasted vector, and shows ranked hits with their stored content, the time taken and
/// the collection's statistics. `/?collection=NAME&q=QUERY` opens with that search run.
enum SearchPage {
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#2f5d8a"/>\
        <path d="M7 19c5-1 8-6 15-7l3 2-4 1c-2 4-6 7-12 6z" fill="#fff"/></svg>
        """

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sparrow search</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  :root { --ink: #1d2733; --muted: #5d6b7a; --line: #dde3ea; --accent: #2f5d8a; --bg: #f6f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { background: var(--accent); color: #fff; padding: 14px 24px; display: flex; align-items: center; gap: 12px; }
  header h1 { font-size: 20px; margin: 0; font-weight: 600; }
  header .sub { opacity: .8; font-size: 13px; }
  header .key { margin-left: auto; display: flex; gap: 6px; align-items: center; font-size: 13px; }
  header input { border: 0; border-radius: 4px; padding: 5px 8px; width: 180px; }
  main { display: grid; grid-template-columns: 260px 1fr; gap: 20px; padding: 20px 24px; max-width: 1200px; margin: 0 auto; }
  aside, section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
  aside h2, section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 10px; }
  select, input[type=number], textarea, button { font: inherit; }
  select, input[type=number] { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 10px; margin: 14px 0 0; font-size: 13px; }
  dt { color: var(--muted); } dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
  form { display: grid; grid-template-columns: 1fr auto auto auto; gap: 8px; align-items: start; }
  textarea { width: 100%; min-height: 42px; resize: vertical; padding: 9px 10px; border: 1px solid var(--line); border-radius: 6px; }
  form label { font-size: 12px; color: var(--muted); display: grid; gap: 2px; }
  form input[type=number] { width: 72px; }
  button { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 10px 18px; cursor: pointer; align-self: end; }
  button:hover { filter: brightness(1.1); }
  .hint { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
  #status { margin: 16px 0 8px; color: var(--muted); font-size: 13px; min-height: 18px; }
  #status.error { color: #b42318; }
  ol#hits { list-style: none; padding: 0; margin: 0; }
  li.hit { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 10px; display: grid; grid-template-columns: 36px 1fr auto; gap: 10px; }
  .rank { color: var(--muted); font-variant-numeric: tabular-nums; }
  .id { font-weight: 600; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  .score { font-variant-numeric: tabular-nums; color: var(--accent); font-weight: 600; }
  .content { grid-column: 2 / 4; color: #3a4654; font-size: 14px; white-space: pre-wrap; overflow-wrap: anywhere;
             display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; cursor: pointer; }
  .content.open { -webkit-line-clamp: unset; }
  .content.none { color: var(--muted); font-style: italic; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>Sparrow</h1><span class="sub">sparse retrieval</span>
  <div class="key"><label for="apikey">API key</label><input id="apikey" type="password" placeholder="(none)" autocomplete="off"></div>
</header>
<main>
  <aside>
    <h2>Collection</h2>
    <select id="collection" aria-label="collection"></select>
    <dl id="stats"></dl>
  </aside>
  <div>
    <section class="card">
      <form id="search">
        <textarea id="query" rows="1" placeholder="Type a query, or paste a vector such as {&quot;manhattan&quot;: 1.5}" aria-label="query"></textarea>
        <label>k<input id="k" type="number" min="1" value="10"></label>
        <label>algorithm<select id="algorithm"><option value="">auto</option></select></label>
        <button type="submit">Search</button>
      </form>
      <p class="hint">Text is analysed or encoded as the collection says; a JSON object is searched as a sparse vector.</p>
    </section>
    <div id="status" role="status"></div>
    <ol id="hits"></ol>
  </div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const algorithms = ["exhaustive-taat", "exhaustive-daat", "maxscore", "wand", "block-max-wand", "block-max-maxscore", "bmp", "range-taat"];
for (const a of algorithms) { const o = document.createElement("option"); o.value = a; o.textContent = a; $("algorithm").append(o); }
$("apikey").value = localStorage.getItem("sparrow-api-key") || "";
$("apikey").addEventListener("change", () => { localStorage.setItem("sparrow-api-key", $("apikey").value); loadCollections(); });

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("apikey").value.trim();
  if (key) headers["Authorization"] = "Bearer " + key;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const e = data.error || {};
    throw new Error((e.message || response.statusText) + (e.field ? " (" + e.field + ")" : ""));
  }
  return data;
}

function status(text, isError) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
const number = (n) => Number(n).toLocaleString("en-US");

function showStats(c) {
  const rows = [["kind", c.kind], ["documents", number(c.documents)], ["deleted", number(c.deleted)], ["segments", number(c.segments)],
                ["terms", number(c.terms)], ["postings", number(c.postings)], ["size", (c.size_bytes / 1048576).toFixed(2) + " MiB"],
                ["log", number(c.log_bytes) + " B"]];
  $("stats").replaceChildren(...rows.flatMap(([k, v]) => { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = v; return [dt, dd]; }));
}

async function loadCollections(selected) {
  try {
    const { collections } = await api("GET", "/collections");
    const select = $("collection");
    select.replaceChildren(...collections.map((c) => { const o = document.createElement("option"); o.value = c.name; o.textContent = c.name + " (" + number(c.documents) + ")"; return o; }));
    if (selected) select.value = selected;
    const current = collections.find((c) => c.name === select.value);
    if (current) showStats(current); else { $("stats").replaceChildren(); status(collections.length ? "" : "No collections yet: create one with PUT /collections/{name}."); }
    return current;
  } catch (e) { status(e.message, true); }
}
$("collection").addEventListener("change", () => loadCollections($("collection").value));

async function search() {
  const name = $("collection").value;
  const text = $("query").value.trim();
  if (!name || !text) return;
  const query = { k: Math.max(1, parseInt($("k").value, 10) || 10) };
  if (text.startsWith("{")) {
    try { query.vector = JSON.parse(text); } catch (e) { status("The vector is not valid JSON: " + e.message, true); return; }
  } else query.text = text;
  if ($("algorithm").value) query.algorithm = $("algorithm").value;
  status("Searching…");
  const started = performance.now();
  try {
    const result = await api("POST", "/collections/" + encodeURIComponent(name) + "/search", query);
    const roundTrip = performance.now() - started;
    $("hits").replaceChildren(...result.hits.map((h, i) => {
      const li = document.createElement("li"); li.className = "hit";
      const rank = document.createElement("span"); rank.className = "rank"; rank.textContent = i + 1;
      const id = document.createElement("span"); id.className = "id"; id.textContent = h.id;
      const score = document.createElement("span"); score.className = "score"; score.textContent = h.score.toFixed(4);
      const content = document.createElement("div"); content.className = "content" + (h.content ? "" : " none"); content.textContent = h.content || "(no stored content)";
      content.title = "click to show all"; content.addEventListener("click", () => content.classList.toggle("open"));
      li.append(rank, id, score, content); return li;
    }));
    status(result.hits.length + " hits in " + (result.took_us / 1000).toFixed(2) + " ms (" + roundTrip.toFixed(1) + " ms round trip)");
    $("status").dataset.took = result.took_us;
  } catch (e) { status(e.message, true); $("hits").replaceChildren(); }
}
$("search").addEventListener("submit", (e) => { e.preventDefault(); search(); });
$("query").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); search(); } });

(async () => {
  const params = new URLSearchParams(location.search);
  if (params.get("key")) $("apikey").value = params.get("key");
  await loadCollections(params.get("collection"));
  if (params.get("k")) $("k").value = params.get("k");
  if (params.get("q")) { $("query").value = params.get("q"); await search(); }
})();
</script>
</body>
</html>
"""#
}
