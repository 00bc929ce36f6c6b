"""Great Expectations Data Docs that work offline.

GX 1.x pages load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from CDNs, and its index
page fills its tables from bootstrap-table calls: offline (or behind a firewall, or from a bucket a
browser opens through a presigned link) they show empty tables and script errors. `make_offline`
rewrites every page of a built site (and GX's own links into its static folder, one of which points
a level too high) to load two small local files instead: a stylesheet with the
Bootstrap rules the pages use, and a script with the few jQuery and bootstrap-table calls they make
(GX's logo, an image on its own web server, is left out).
"""

import re
from pathlib import Path

STATIC_DIR = "static"  # GX's own folder of local assets in a site
OFFLINE_CSS = "benchgen-offline.css"
OFFLINE_JS = "benchgen-offline.js"
REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", re.IGNORECASE)
REMOTE_STYLESHEET = re.compile(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>\s*", re.IGNORECASE)
REMOTE_IMAGE = re.compile(r"<img[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE)  # GX's logo
# A link into the site's static folder; GX writes validation pages' favicon link one level short.
STATIC_LINK = re.compile(r"((?:href|src)=\")(?:\.\./|\./)*static/")
REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?https?://[^)]*\)", re.IGNORECASE)

OFFLINE_STYLE = """\
/* The Bootstrap 4 rules GX Data Docs use, so pages read well without a CDN. */
*, ::before, ::after { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px;
  line-height: 1.5; color: #212529; background: #fff; }
a { color: #0062cc; text-decoration: none; } a:hover { text-decoration: underline; }
.container, .container-fluid { width: 100%; padding: 0 15px; margin: 0 auto; }
.row { display: flex; flex-wrap: wrap; margin: 0 -15px; }
[class^="col"], [class*=" col"] { position: relative; width: 100%; padding: 0 15px; }
@media (min-width: 768px) {
  .col-md-2 { flex: 0 0 16.67%; max-width: 16.67%; } .col-md-3 { flex: 0 0 25%; max-width: 25%; }
  .col-md-4 { flex: 0 0 33.33%; max-width: 33.33%; } .col-md-6 { flex: 0 0 50%; max-width: 50%; }
  .col-md-8 { flex: 0 0 66.67%; max-width: 66.67%; } .col-md-9 { flex: 0 0 75%; max-width: 75%; }
  .col-md-10 { flex: 0 0 83.33%; max-width: 83.33%; }
  .d-md-block { display: block !important; } .d-md-flex { display: flex !important; }
}
.col-12 { flex: 0 0 100%; max-width: 100%; }
.d-none { display: none !important; } .d-flex { display: flex !important; } .d-block { display: block; }
.invisible { visibility: hidden; } .modal, .collapse:not(.show), .tab-pane:not(.active) { display: none; }
#ge-cta-footer { display: none; }
.navbar { display: flex; align-items: center; padding: 8px 16px; background: #f8f9fa;
  border-bottom: 1px solid #dee2e6; } .fixed-top, .sticky-top { position: sticky; top: 0; z-index: 10; }
.nav, .navbar-nav { display: flex; flex-wrap: wrap; list-style: none; margin: 0; padding: 0; }
.nav-link { display: block; padding: 6px 12px; } .nav-tabs { border-bottom: 1px solid #dee2e6; }
.nav-tabs .nav-link.active { border: 1px solid #dee2e6; border-bottom-color: #fff; border-radius: 4px 4px 0 0; }
.breadcrumb { display: flex; list-style: none; padding: 8px 0; margin: 0; }
.breadcrumb-item + .breadcrumb-item::before { content: "/"; padding: 0 8px; color: #6c757d; }
.card { border: 1px solid rgba(0, 0, 0, .125); border-radius: 4px; margin-bottom: 16px; background: #fff; }
.card-header { padding: 10px 16px; background: rgba(0, 0, 0, .03); border-bottom: 1px solid rgba(0, 0, 0, .125); }
.card-body { padding: 16px; }
.alert { padding: 10px 16px; margin-bottom: 12px; border: 1px solid transparent; border-radius: 4px; }
.alert-secondary { background: #e2e3e5; border-color: #d6d8db; }
.badge { display: inline-block; padding: 2px 6px; font-size: 75%; font-weight: 700; border-radius: 4px; }
.badge-secondary { background: #6c757d; color: #fff; } .badge-info { background: #17a2b8; color: #fff; }
.btn { display: inline-block; padding: 4px 10px; border: 1px solid #6c757d; border-radius: 4px;
  background: #fff; cursor: pointer; } .btn-primary { background: #007bff; border-color: #007bff; color: #fff; }
.table { width: 100%; margin-bottom: 16px; border-collapse: collapse; }
.table th, .table td { padding: 6px 8px; border-top: 1px solid #dee2e6; vertical-align: top; text-align: left; }
.table thead th { border-bottom: 2px solid #dee2e6; }
.table-responsive { overflow-x: auto; } .clickable-row { cursor: pointer; }
.clickable-row:hover { background: #f1f3f5; }
.bg-light { background: #f8f9fa; } .text-success { color: #28a745; } .text-danger { color: #dc3545; }
.text-muted { color: #6c757d; } .m-0 { margin: 0; } .mb-0 { margin-bottom: 0; } .mb-1 { margin-bottom: 4px; }
.mt-1 { margin-top: 4px; } .ml-1 { margin-left: 4px; } .ml-2 { margin-left: 8px; } .mr-2 { margin-right: 8px; }
.p-0 { padding: 0; } .px-0 { padding-left: 0; padding-right: 0; } .p-1 { padding: 4px; } .p-2 { padding: 8px; }
.fas { font-style: normal; font-weight: 700; }
.fa-check-circle::before { content: "\\2714"; } .fa-times::before { content: "\\2716"; }
.fa-times-circle::before { content: "\\2716"; } .fa-question-circle::before { content: "?"; }
.fa-exclamation-triangle::before { content: "!"; }
"""

OFFLINE_SCRIPT = """\
/* The jQuery and bootstrap-table calls GX Data Docs make, for pages without their CDN scripts. */
(function () {
  "use strict";
  var handlers = [];
  function Selection(nodes) { this.nodes = nodes; }
  function $(what) {
    if (typeof what === "function") { whenReady(what); return new Selection([]); }
    if (what === document || what instanceof Element) { return new Selection([what]); }
    if (typeof what === "string") { return new Selection(Array.prototype.slice.call(document.querySelectorAll(what))); }
    return new Selection([]);
  }
  function whenReady(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }
  function show(node) { node.style.display = ""; }
  function hide(node) { node.style.display = "none"; }
  Selection.prototype.ready = function (fn) { whenReady(fn); return this; };
  Selection.prototype.each = function (fn) { this.nodes.forEach(function (n, i) { fn(i, n); }); return this; };
  Selection.prototype.parent = function () {
    return new Selection(this.nodes.map(function (n) { return n.parentElement; }).filter(Boolean));
  };
  Selection.prototype.fadeIn = function () { this.nodes.forEach(show); return this; };
  Selection.prototype.fadeOut = function () { this.nodes.forEach(hide); return this; };
  Selection.prototype.removeClass = function (name) {
    this.nodes.forEach(function (n) { n.classList.remove(name); }); return this;
  };
  Selection.prototype.modal = function () { return this; };
  Selection.prototype.data = function (key) { return this.nodes.length ? this.nodes[0].dataset[key] : undefined; };
  Selection.prototype.on = function (event, fn) {
    var nodes = this.nodes;
    nodes.forEach(function (n) { handlers.push({ node: n, event: event, fn: fn }); });
    return this;
  };
  function trigger(node, event, args) {
    handlers.forEach(function (h) { if (h.node === node && h.event === event) { h.fn.apply(node, [{}].concat(args)); } });
  }
  function option(value) { return typeof value === "string" && typeof window[value] === "function" ? window[value] : value; }
  Selection.prototype.bootstrapTable = function (options) {
    if (typeof options !== "object") { return this; }  /* e.g. 'clearFilterControl': there are no filters */
    this.nodes.forEach(function (table) {
      var columns = options.columns || [];
      var head = document.createElement("thead");
      var header = document.createElement("tr");
      columns.forEach(function (c) { var th = document.createElement("th"); th.textContent = c.title || c.field; header.appendChild(th); });
      head.appendChild(header);
      var body = document.createElement("tbody");
      var attributes = option(options.rowAttributes);
      (options.data || []).forEach(function (row, index) {
        var tr = document.createElement("tr");
        var extra = typeof attributes === "function" ? attributes(row, index) : {};
        Object.keys(extra).forEach(function (name) { tr.setAttribute(name, extra[name]); });
        columns.forEach(function (c) {
          var td = document.createElement("td");
          td.innerHTML = row[c.field] === undefined ? "" : row[c.field];
          tr.appendChild(td);
        });
        tr.addEventListener("click", function () {
          trigger(table, "click-row.bs.table", [row, new Selection([tr])]);
        });
        body.appendChild(tr);
      });
      table.innerHTML = "";
      table.classList.add("table");
      table.appendChild(head);
      table.appendChild(body);
    });
    return this;
  };
  function toggleTarget(event) {
    var link = event.target.closest("[data-toggle='collapse'], [data-toggle='tab']");
    if (!link) { return; }
    var selector = link.getAttribute("data-target") || link.getAttribute("href");
    var target = selector && selector.charAt(0) === "#" ? document.getElementById(selector.slice(1)) : null;
    if (!target) { return; }
    event.preventDefault();
    if (link.getAttribute("data-toggle") === "collapse") { target.classList.toggle("show"); return; }
    Array.prototype.forEach.call(target.parentElement.children, function (pane) { pane.classList.remove("active", "show"); });
    target.classList.add("active", "show");
    var tabs = link.closest(".nav");
    if (tabs) { Array.prototype.forEach.call(tabs.querySelectorAll(".nav-link"), function (t) { t.classList.remove("active"); }); }
    link.classList.add("active");
  }
  document.addEventListener("click", toggleTarget);
  window.$ = window.jQuery = $;
})();
"""


def make_offline(docs_dir: Path) -> None:
    """Rewrite a built Data Docs site in place so no page requests anything from another host."""
    static = docs_dir / STATIC_DIR
    static.mkdir(parents=True, exist_ok=True)
    (static / OFFLINE_CSS).write_text(OFFLINE_STYLE)
    (static / OFFLINE_JS).write_text(OFFLINE_SCRIPT)
    for stylesheet in static.rglob("*.css"):
        stylesheet.write_text(REMOTE_CSS_URL.sub("none", stylesheet.read_text()))
    for page in docs_dir.rglob("*.html"):
        up = "../" * (len(page.relative_to(docs_dir).parts) - 1)
        local = (
            f'<link rel="stylesheet" href="{up}{STATIC_DIR}/{OFFLINE_CSS}">\n'
            f'<script src="{up}{STATIC_DIR}/{OFFLINE_JS}"></script>\n</head>'
        )
        html = REMOTE_SCRIPT.sub("", page.read_text())
        html = REMOTE_STYLESHEET.sub("", html)
        html = REMOTE_IMAGE.sub("", html)
        html = STATIC_LINK.sub(rf"\g<1>{up or './'}{STATIC_DIR}/", html)
        page.write_text(html.replace("</head>", local, 1))
