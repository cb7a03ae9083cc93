"""The explorer's one page (explorer.py serves it): plain HTML, CSS and JavaScript, no
external assets, so it works offline.

The page asks /api/info for the run's latent layout and builds a control per code. Every
move sends one /api/generate request; moves made while one is in flight are merged into
the next, so the page follows a dragged slider without queueing. `#latency` shows the time
from the move to the new image on screen, and the server's share of it.
"""

PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>InfoGAN explorer</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
  h1 { font-size: 20px; margin: 0 0 4px 0; }
  #run { color: #666; font-size: 13px; margin-bottom: 12px; }
  #layout { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
  #controls { width: 360px; }
  .group { margin-bottom: 14px; }
  .group h2 { font-size: 14px; margin: 0 0 4px 0; }
  .cat button { min-width: 30px; margin: 1px; padding: 3px 6px; border: 1px solid #888;
                background: #f4f4f4; border-radius: 3px; cursor: pointer; }
  .cat button.on { background: #2b6cb0; color: white; border-color: #2b6cb0; }
  input[type=range] { width: 260px; vertical-align: middle; }
  .value { display: inline-block; width: 48px; text-align: right; font-variant-numeric: tabular-nums; }
  img.pixels { image-rendering: pixelated; border: 1px solid #ccc; background: black; }
  #grid { width: 420px; }
  #single { width: 196px; height: 196px; }
  #message { color: #b00020; white-space: pre-wrap; margin: 8px 0; }
  #latency { color: #666; font-size: 12px; }
  .bars div { font-size: 12px; display: flex; align-items: center; gap: 6px; }
  .bar { background: #2b6cb0; height: 10px; }
  #drop { border: 2px dashed #aaa; padding: 10px; border-radius: 6px; font-size: 13px; }
  #uploaded { width: 84px; height: 84px; }
</style>
</head>
<body>
<h1>InfoGAN explorer</h1>
<div id="run">loading&hellip;</div>
<div id="message"></div>
<div id="layout">
  <div id="controls">
    <div class="group"><h2>Checkpoint</h2><select id="step"></select></div>
    <div id="codes"></div>
    <div class="group"><h2>Noise</h2>
      <button id="reseed">reseed</button>
      seeds <span id="seeds"></span><br>
      <input type="range" id="mix" min="0" max="1" step="0.01" value="0">
      <span class="value" id="mix_value">0.00</span>
      <div style="font-size:12px;color:#666">interpolates the noise from the first seed to the second</div>
    </div>
    <div class="group"><h2>Ask Q about an image</h2>
      <div id="drop">Drop a digit image here, or <input type="file" id="upload" accept="image/*"></div>
      <div id="answer"></div>
    </div>
  </div>
  <div>
    <div><img id="grid" class="pixels" alt="generated grid"></div>
    <div id="grid_caption" style="font-size:12px;color:#666"></div>
    <div id="latency"></div>
  </div>
  <div id="single_box">
    <div style="font-size:13px">selected row, first noise draw</div>
    <img id="single" class="pixels" alt="one sample">
  </div>
</div>
<script>
"use strict";
let info = null;
const state = {seed: 0, seed2: 1, mix: 0, cat: [], cont: [], step: null};
let inFlight = false, pending = false, movedAt = 0;

function $(id) { return document.getElementById(id); }
function showError(text) { $("message").textContent = text || ""; }

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const payload = await response.json();
  if (!response.ok || payload.error) throw new Error(payload.error || response.statusText);
  return payload;
}

function categoryLabel(code, k) {
  if (info.guided_labels && code === info.guided_code) return info.guided_labels[k];
  return String(k);
}

function buildControls() {
  const codes = $("codes");
  codes.innerHTML = "";
  state.cat = info.categorical.map(() => 0);
  state.cont = Array.from({length: info.continuous}, () => 0);
  info.categorical.forEach((k, code) => {
    const group = document.createElement("div");
    group.className = "group cat";
    const guided = info.guided_labels && code === info.guided_code;
    group.innerHTML = `<h2>Categorical code ${code}${guided ? " (guided: labels)" : ""}` +
      `${code === 0 ? " &mdash; the grid's rows" : ""}</h2>`;
    for (let v = 0; v < k; v++) {
      const button = document.createElement("button");
      button.textContent = categoryLabel(code, v);
      button.dataset.code = code; button.dataset.value = v;
      if (v === 0) button.classList.add("on");
      button.onclick = () => {
        state.cat[code] = v;
        group.querySelectorAll("button").forEach(b => b.classList.toggle("on", b === button));
        moved();
      };
      group.appendChild(button);
    }
    codes.appendChild(group);
  });
  for (let j = 0; j < info.continuous; j++) {
    const group = document.createElement("div");
    group.className = "group";
    group.innerHTML = `<h2>Continuous code ${j}</h2>` +
      `<input type="range" class="cont" data-index="${j}" min="${info.cont_range[0]}" ` +
      `max="${info.cont_range[1]}" step="0.05" value="0"> <span class="value">0.00</span>`;
    const slider = group.querySelector("input"), label = group.querySelector(".value");
    slider.oninput = () => { state.cont[j] = parseFloat(slider.value);
                             label.textContent = state.cont[j].toFixed(2); moved(); };
    codes.appendChild(group);
  }
  $("single_box").style.display = info.points ? "none" : "";
  $("grid").classList.toggle("pixels", !info.points);
  $("grid").style.background = info.points ? "white" : "black";
  $("grid_caption").textContent = info.points ?
    "samples in the plane, coloured by the first categorical code (the selected one larger)" :
    (info.categorical.length ? "rows: values of categorical code 0; columns: noise draws"
                             : "noise draws");
  $("upload").disabled = info.points;
}

function showSeeds() { $("seeds").textContent = `${state.seed} \u2192 ${state.seed2}`; }

function moved() {
  movedAt = performance.now();
  if (inFlight) { pending = true; return; }
  refresh();
}

async function refresh() {
  inFlight = true; pending = false;
  const started = movedAt;
  try {
    const result = await getJSON("/api/generate", {method: "POST",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(state)});
    await new Promise(resolve => { $("grid").onload = resolve; $("grid").src = result.grid; });
    if (result.single) $("single").src = result.single;
    const total = performance.now() - started;
    $("latency").textContent = `updated in ${total.toFixed(0)} ms (generation ${result.ms} ms)`;
    $("latency").dataset.ms = total.toFixed(1);
    showError("");
  } catch (error) {
    showError(error.message);
  }
  inFlight = false;
  if (pending) refresh();
}

async function upload(file) {
  if (!file) return;
  $("answer").textContent = "asking Q\u2026";
  try {
    const query = state.step === null ? "" : `?step=${state.step}`;
    const result = await getJSON("/api/infer" + query, {method: "POST", body: file});
    let html = `<img id="uploaded" class="pixels" src="${result.image}"><br>`;
    if (result.notes.length) html += `<div style="font-size:12px;color:#666">${result.notes.join("; ")}</div>`;
    html += `<div>D: probability real <b id="d_prob">${result.d_prob.toFixed(2)}</b></div>`;
    result.cat_probs.forEach((probs, code) => {
      if (!probs) return;   // CGAN's condition: Q does not predict it
      const best = probs.indexOf(Math.max(...probs));
      html += `<div class="bars">code ${code}: <b class="best" data-code="${code}">${categoryLabel(code, best)}</b>`;
      html += probs.map((p, k) => `<div>${categoryLabel(code, k)} <span class="bar" style="width:${Math.round(120 * p)}px"></span> ${p.toFixed(2)}</div>`).join("");
      html += "</div>";
    });
    if (result.cont_mean.length)
      html += `<div>continuous means: ${result.cont_mean.map(v => v.toFixed(2)).join(", ")}</div>`;
    $("answer").innerHTML = html;
    showError("");
  } catch (error) {
    $("answer").textContent = "";
    showError(error.message);
  }
}

async function start() {
  try {
    info = await getJSON("/api/info");
  } catch (error) {
    showError(error.message); return;
  }
  if (info.error) {
    $("run").textContent = info.workdir;
    showError(info.error + "\n(the page retries every 10 s)");
    setTimeout(start, 10000);
    return;
  }
  $("run").textContent = `${info.workdir}: ${info.dataset}, step ${info.step}`;
  const select = $("step");
  select.innerHTML = info.steps.map(s => `<option value="${s}"${s === info.step ? " selected" : ""}>${s}</option>`).join("");
  select.onchange = () => { state.step = parseInt(select.value); moved(); };
  buildControls();
  showSeeds();
  $("mix").oninput = () => { state.mix = parseFloat($("mix").value);
                             $("mix_value").textContent = state.mix.toFixed(2); moved(); };
  $("reseed").onclick = () => {
    state.seed = Math.floor(Math.random() * 1e6); state.seed2 = Math.floor(Math.random() * 1e6);
    showSeeds(); moved();
  };
  $("upload").onchange = () => upload($("upload").files[0]);
  const drop = $("drop");
  drop.ondragover = event => event.preventDefault();
  drop.ondrop = event => { event.preventDefault(); upload(event.dataTransfer.files[0]); };
  moved();
}
start();
</script>
</body>
</html>
"""
