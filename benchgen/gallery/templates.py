"""Jinja templates of the gallery pages; CSS and JS are inline so the site renders offline from any folder."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2430; background: #f5f6f8; }
header { background: #1d2430; color: #fff; padding: 12px 24px; }
header a { color: #9cc3ff; margin-right: 16px; }
main { padding: 16px 24px; }
h1 { font-size: 1.4em; margin: 4px 0; }
h2 { font-size: 1.15em; margin-top: 28px; border-bottom: 1px solid #ccd; }
.filters { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 12px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px #0002; overflow: hidden; }
.card a { color: inherit; text-decoration: none; }
.card img { width: 100%; display: block; background: #dde; }
.card .noimg { height: 160px; display: flex; align-items: center; justify-content: center; background: #eee; }
.card .body { padding: 8px 12px; font-size: 0.9em; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 4px; font-size: 0.8em; background: #e3e7ee; }
.badge.accepted { background: #cdeccf; } .badge.rejected, .badge.failed { background: #f6d0cc; }
.code-badge { background: #fbe3c4; margin: 1px; }
table { border-collapse: collapse; background: #fff; font-size: 0.88em; }
td, th { border: 1px solid #d4d8e0; padding: 3px 8px; text-align: left; vertical-align: top; }
.views { display: flex; flex-wrap: wrap; gap: 8px; }
.views figure { margin: 0; } .views img { max-width: 300px; border: 1px solid #ccd; }
.clips { display: flex; flex-wrap: wrap; gap: 12px; } .clips figure { margin: 0; }
.clips .sealed { width: 320px; height: 240px; display: flex; align-items: center; justify-content: center;
  background: #e3e7ee; font-size: 1.4em; color: #4a5260; border: 1px solid #ccd; }
.sheet { max-width: 100%; border: 1px solid #ccd; }
.note { color: #6a4b00; background: #fff6dc; padding: 6px 10px; border-radius: 4px; }
pre.card-text { white-space: pre-wrap; background: #fff; padding: 8px; }
"""

FILTER_SCRIPT = """
function applyFilters() {
  var selects = document.querySelectorAll('select[data-filter]');
  var shown = 0;
  document.querySelectorAll('.card[data-theme]').forEach(function (card) {
    var visible = true;
    selects.forEach(function (select) {
      var wanted = select.value;
      if (wanted && card.dataset[select.dataset.filter] !== wanted) { visible = false; }
    });
    card.style.display = visible ? '' : 'none';
    if (visible) { shown += 1; }
  });
  document.getElementById('shown-count').textContent = shown;
}
document.querySelectorAll('select[data-filter]').forEach(function (select) {
  select.addEventListener('change', applyFilters);
});
applyFilters();
"""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{{ title }}</title>
<style>{{ style }}{% block extra_style %}{% endblock %}</style>
</head><body>
<header><h1>{{ dataset_name }} {{ dataset_version }}</h1>
<nav><a href="{{ root }}index.html">Benchmarks</a><a href="{{ root }}rejected.html">Rejected candidates</a></nav>
</header>
<main>{% block content %}{% endblock %}</main>
</body></html>
"""

INDEX = """{% extends "base" %}
{% block content %}
<p>{{ benchmarks|length }} benchmark(s), {{ rejected|length }} rejected candidate(s) of the same run;
published {{ published_at }}. {{ sessions_note }}.</p>
<h2>Difficulty</h2>
{{ histogram|safe }}
<h2>Browse</h2>
<div class="filters">
{% for key, label, values in filters %}
<label>{{ label }} <select data-filter="{{ key }}"><option value="">all</option>
{% for value in values %}<option value="{{ value }}">{{ value }}</option>{% endfor %}
</select></label>
{% endfor %}
<span><span id="shown-count">{{ cards|length }}</span> shown</span>
</div>
<div class="grid">
{% for card in cards %}
<div class="card" data-theme="{{ card.theme }}" data-family="{{ card.family }}"
     data-difficulty="{{ card.difficulty }}" data-status="{{ card.status }}">
<a href="{{ card.href }}">
{% if card.thumbnail %}<img src="{{ card.thumbnail }}" alt="contact sheet of {{ card.title }}">
{% else %}<div class="noimg">no renders</div>{% endif %}
<div class="body"><strong>{{ card.title }}</strong><br>
{{ card.family }} &middot; difficulty {{ card.difficulty }}{% if card.score is not none %} ({{ '%.2f'|format(card.score) }}){% endif %}
&middot; <span class="badge {{ card.status }}">{{ card.status }}</span>
{% for code in card.codes %}<span class="badge code-badge">{{ code }}</span>{% endfor %}
</div></a></div>
{% endfor %}
</div>
{% if card_text %}<h2>Dataset card</h2><pre class="card-text">{{ card_text }}</pre>{% endif %}
<script>{{ filter_script|safe }}</script>
{% endblock %}
"""

SESSION_PARTS = """
{% macro review(session) %}
<h2>Review</h2>
{% if session is none %}<p class="note">{{ missing_session }}</p>
{% elif not session.review_decisions %}<p>No review decision was recorded.</p>
{% else %}
{% for decision in session.review_decisions %}
<p><strong>Round {{ loop.index }}: {{ decision.verdict.value }}</strong> by {{ decision.reviewer }}
({{ 'saw the renders' if decision.saw_images else 'text only' }})</p>
<ul>{% for reason in decision.reasons %}<li>{{ reason }}</li>{% endfor %}</ul>
{% if decision.feedback %}<p>Feedback: {{ decision.feedback }}</p>{% endif %}
{% endfor %}
{% endif %}
{% endmacro %}
{% macro journal(session) %}
<h2>Session journal</h2>
{% if session is none %}<p class="note">{{ missing_session }}</p>
{% else %}
<p>Session {{ session.session_id }}: {{ session.status.value }} after {{ session.coder_attempts }} coder attempt(s)
and {{ session.review_rounds }} review round(s), backend {{ session.backend }} ({{ session.model }}).</p>
<table><tr><th>time (UTC)</th><th>stage</th><th>message</th></tr>
{% for entry in session.journal %}
<tr><td>{{ entry.at.strftime('%Y-%m-%d %H:%M:%S') }}</td><td>{{ entry.stage }}</td><td>{{ entry.message }}</td></tr>
{% endfor %}</table>
{% endif %}
{% endmacro %}
"""

BENCHMARK = """{% extends "base" %}
{% import "session_parts" as parts with context %}
{% block extra_style %}{{ code_style }}{% endblock %}
{% block content %}
<h1>{{ title }}</h1>
<p>Family <strong>{{ row.family }}</strong> &middot; difficulty {{ difficulty }}
{% if row.difficulty_score is not none %}({{ '%.2f'|format(row.difficulty_score) }}){% endif %}
&middot; {{ row.variants_ok }} of {{ row.variant_count }} variants valid &middot; id {{ row.benchmark_id }}</p>
<p>Script sha256 {{ row.script_sha256 }} &middot; code {{ row.code_version }} &middot; validator {{ row.validator_version }}</p>
<h2>Views</h2>
<div class="views">
{% for name, src in views %}<figure><img src="{{ src }}" alt="{{ name }} view"><figcaption>{{ name }}</figcaption></figure>{% endfor %}
</div>
{% if sheet %}<h2>Contact sheet</h2><img class="sheet" src="{{ sheet }}" alt="contact sheet">{% endif %}
<h2>Settle clip{% if row.witness_sha256 %} and witness{% endif %}</h2>
<div class="clips">
<figure>{% if clip %}<img src="{{ clip }}" alt="the payload left alone for a few simulated seconds">
{% else %}<p class="note">{{ clip_note }}</p>{% endif %}<figcaption>the payload left alone</figcaption></figure>
{% if row.witness_sha256 %}<figure class="witness">
{% if row.witness_sealed %}<div class="sealed">sealed</div>
{% elif witness_clip %}<img src="{{ witness_clip }}" alt="the witness solving the nominal variant">
{% else %}<p class="note">this version publishes no witness clip</p>{% endif %}
<figcaption>the witness, nominal variant (seed {{ row.scene_seed }}, scale {{ row.scene_scale }})</figcaption></figure>
{% endif %}
</div>
{% for note in render_notes %}<p class="note">{{ note }}</p>{% endfor %}
{% if row.witness_sha256 %}
<h2>Witness</h2>
<p>{% if row.witness_sealed %}Sealed: the build kept the witness in its store and publishes only its sha256
{% elif witness_file %}<a href="{{ witness_file }}">solution.py</a>, sha256{% else %}sha256{% endif %}
<code>{{ row.witness_sha256 }}</code> &middot; solved every variant from every start:
{{ 'yes' if row.witness_solved else 'no' }}</p>
<table><tr><th>cost</th><th>weight (kg)</th><th>parts</th><th>movers</th><th>time to goal (s)</th>
<th>cost cap</th><th>weight cap (kg)</th></tr>
<tr><td>{{ num(row.witness_cost) }}</td><td>{{ num(row.witness_weight_kg) }}</td><td>{{ row.witness_parts }}</td>
<td>{{ row.witness_movers }}</td><td>{{ num(row.witness_time_to_goal_s) }}</td><td>{{ num(row.cost_cap) }}</td>
<td>{{ num(row.weight_cap_kg) }}</td></tr></table>
<p>Cost, weight and time are the witness's worst over the variant grid; a solver must stay within the caps
({{ cap_factor }}&times; the witness's cost and weight).</p>
{% endif %}
<h2>Payload and zones (nominal variant, mm)</h2>
<table><tr><th>part</th><th>min / start</th><th>max / jitter</th><th>details</th></tr>
<tr><td>payload</td><td>{{ fmt(spec.payload.start) }}</td><td>jitter {{ fmt(spec.payload.jitter) }}</td>
<td>{{ payload_shape }}, {{ spec.payload.material }}</td></tr>
{% for label, zone in zones %}
<tr><td>{{ label }}</td><td>{{ fmt(zone.min) }}</td><td>{{ fmt(zone.max) }}</td><td>{{ zone.name or '' }}</td></tr>
{% endfor %}
</table>
<h2>Fixtures</h2>
<table><tr><th>label</th><th>material</th><th>volume (mm³)</th><th>bbox min</th><th>bbox max</th></tr>
{% for f in spec.fixtures %}
<tr><td>{{ f.label }}</td><td>{{ f.material }}</td><td>{{ '%.0f'|format(f.volume_mm3) }}</td>
<td>{{ fmt(f.bbox_min) }}</td><td>{{ fmt(f.bbox_max) }}</td></tr>
{% endfor %}</table>
<h2>Variants</h2>
<table><tr><th>seed</th><th>scale</th><th>ok</th><th>failure codes</th><th>settle time (s)</th>
<th>final drift (mm)</th><th>max speed (m/s)</th><th>payload mass (kg)</th><th>geometry hash</th></tr>
{% for v in variants %}
<tr><td>{{ v.seed }}</td><td>{{ v.scale }}</td><td>{{ 'yes' if v.ok else 'no' }}</td><td>{{ v.failure_codes|join(', ') }}</td>
<td>{{ num(v.settle_time_s) }}</td><td>{{ num(v.final_drift_mm) }}</td><td>{{ num(v.max_speed_m_s) }}</td>
<td>{{ num(v.payload_mass_kg) }}</td><td><code>{{ (v.geometry_hash or '')[:16] }}</code></td></tr>
{% endfor %}</table>
{{ parts.review(session) }}
<h2>Script</h2>
{{ script_html|safe }}
{{ parts.journal(session) }}
{% endblock %}
"""

REJECTED = """{% extends "base" %}
{% block content %}
<h1>Rejected candidates</h1>
<p>{{ sessions_note }}.</p>
{% if not rejected %}<p>No rejected candidates were found for this run.</p>{% else %}
<table><tr><th>theme</th><th>status</th><th>failure codes</th><th>reason</th><th>session</th></tr>
{% for s in rejected %}
<tr><td>{{ s.theme }}</td><td><span class="badge {{ s.status.value }}">{{ s.status.value }}</span></td>
<td>{% for code in s.failure_codes %}<span class="badge code-badge">{{ code }}</span> {% endfor %}</td>
<td>{{ s.reason or '' }}</td><td><a href="candidates/{{ s.session_id }}.html">{{ s.session_id[:8] }}</a></td></tr>
{% endfor %}</table>
{% endif %}
{% endblock %}
"""

CANDIDATE = """{% extends "base" %}
{% import "session_parts" as parts with context %}
{% block content %}
<h1>Rejected candidate: {{ session.theme }}</h1>
<p><span class="badge {{ session.status.value }}">{{ session.status.value }}</span>
{% for code in session.failure_codes %}<span class="badge code-badge">{{ code }}</span> {% endfor %}</p>
<p>{{ session.reason or 'no reason recorded' }}</p>
{{ parts.review(session) }}
{{ parts.journal(session) }}
{% endblock %}
"""

TEMPLATES = {
    "base": BASE,
    "index": INDEX,
    "session_parts": SESSION_PARTS,
    "benchmark": BENCHMARK,
    "rejected": REJECTED,
    "candidate": CANDIDATE,
}
