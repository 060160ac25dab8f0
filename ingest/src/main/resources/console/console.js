// The Osprey console: one EventSource for everything live; the API's own endpoints for the rest.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const STRIP = 24;
  const state = { seq: 0, predictions: new Map(), events: [], eventSeqs: new Set(), dlq: [], dlqSeqs: new Set(),
    classes: {}, sent: new Set(), tokenRequired: false, live: new Map() };
  const TOKEN_KEY = 'osprey-token';

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const kid of kids) if (kid != null) e.append(kid);
    return e;
  }
  const pct = (x) => (x * 100).toFixed(1) + '%';
  const time = (ts) => ts ? new Date(ts).toLocaleTimeString() : '–';

  // --- the token: asked for once, kept for the tab, sent on every mutating call ---
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function askToken() { $('token-box').hidden = false; $('token-input').focus(); }
  $('token-box').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
    $('token-box').hidden = true;
  });
  async function send(method, path, body, type) {
    const headers = {};
    if (type) headers['Content-Type'] = type;
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    const r = await fetch(path, { method, headers, body });
    let json = {};
    try { json = await r.json(); } catch (e) { /* an empty or non-JSON answer */ }
    if (r.status === 401) { sessionStorage.removeItem(TOKEN_KEY); askToken(); }
    if (!r.ok) throw new Error(json.error || ('HTTP ' + r.status));
    return json;
  }

  // --- live: predictions ---
  function classOptions(select, current) {
    // Every class index the model can have, named where a prediction's top three named it.
    const n = Math.max(10, ...Object.keys(state.classes).map((k) => Number(k) + 1));
    for (let k = 0; k < n; k++) {
      const o = el('option', { value: String(k), text: k + ' ' + (state.classes[k] || '') });
      if (current === k) o.selected = true;
      select.append(o);
    }
  }

  function card(p) {
    const known = p.truth !== undefined && p.truth !== null;
    const right = known && p.truth === p['class'];
    const c = el('div', { class: 'card' + (known ? (right ? ' right' : ' wrong') : ''), 'data-id': p.id });
    c.append(p.thumb ? el('img', { src: p.thumb, alt: 'image ' + p.id }) : el('div', { class: 'noimg', title: 'image not seen' }));
    c.append(el('div', { class: 'label', text: p.label }));
    c.append(el('div', { class: 'conf', text: pct(p.confidence) + ' · v' + p.version }));
    if (known) {
      c.append(el('div', { class: 'verdict ' + (right ? 'ok' : 'bad'),
        text: right ? '✓ right' : '✗ is ' + (state.classes[p.truth] || p.truth) }));
    }
    const bars = el('div', { class: 'bars' });
    for (const t of p.top || []) {
      bars.append(el('div', { class: 'bar' }, el('span', { text: t.label }),
        el('i', { style: 'width:' + Math.round(t.p * 60) + 'px' }), el('span', { text: pct(t.p) })));
    }
    c.append(bars);
    c.append(el('div', { class: 'hint', text: p.id }));
    if (state.sent.has(p.id)) {
      c.append(el('div', { class: 'sent', text: 'feedback sent' }));
    } else {
      const wrong = el('button', { type: 'button', class: 'wrong-btn', text: 'Wrong?' });
      wrong.addEventListener('click', () => {
        const fix = el('div', { class: 'fix' });
        const select = el('select', { 'aria-label': 'the right class for ' + p.id, class: 'fix-class' });
        classOptions(select, p.truth);
        const ok = el('button', { type: 'button', class: 'fix-send', text: 'Send' });
        ok.addEventListener('click', async () => {
          ok.disabled = true;
          try {
            await send('POST', '/feedback/' + encodeURI(p.id), JSON.stringify({ label: Number(select.value) }),
              'application/json');
            state.sent.add(p.id);
            ok.closest('.card').classList.add('corrected');
            fix.replaceWith(el('div', { class: 'sent', text: 'feedback sent: ' + select.selectedOptions[0].text }));
          } catch (e) {
            ok.disabled = false;
            fix.append(el('span', { class: 'bad', text: e.message }));
          }
        });
        fix.append(select, ok);
        wrong.replaceWith(fix);
        select.focus();
      });
      c.append(wrong);
    }
    return c;
  }

  function renderStrip() {
    const all = [...state.predictions.values()].sort((a, b) => b.seq - a.seq).slice(0, STRIP);
    const strip = $('strip');
    // While a card is being corrected the strip stands still: re-rendering would drop the form.
    if (strip.querySelector('.fix')) return;
    strip.replaceChildren(...all.map(card));
    const queue = $('queue');
    if (!queue.querySelector('.fix')) {
      const unsure = all.filter((p) => !state.sent.has(p.id)).sort((a, b) => a.confidence - b.confidence).slice(0, 5);
      queue.replaceChildren(...unsure.map(card));
    }
  }

  function renderStats(s) {
    $('stat-predictions').textContent = s.predictions.toLocaleString();
    $('stat-rate').textContent = s.imagesPerSecond.toFixed(1);
    $('stat-p50').textContent = s.latencyP50 !== undefined ? s.latencyP50 + ' ms' : '–';
    $('stat-p99').textContent = s.latencyP99 !== undefined ? s.latencyP99 + ' ms' : '–';
    $('stat-accuracy').textContent = s.accuracy !== undefined ? pct(s.accuracy) : '–';
    $('stat-feedback').textContent = String(s.feedback);
    $('stat-dlq').textContent = String(s.deadLetters);
    state.classes = s.classes || state.classes;
    const v = $('versions');
    v.replaceChildren(...Object.entries(s.versionAccuracy || {}).map(([k, a]) =>
      el('span', { text: 'v' + k + ': ' + pct(a.accuracy) + ' of ' + a.n })));
  }

  // --- models: the trainer's per-class live accuracy and confusion matrix of a version ---
  const name = (k) => state.classes[k] || String(k);
  function renderMatrix() {
    const select = $('matrix-version');
    const keys = [...state.live.keys()].sort((a, b) => state.live.get(a).version - state.live.get(b).version);
    const chosen = select.value && state.live.has(select.value) ? select.value : keys[keys.length - 1];
    select.replaceChildren(...keys.map((k) => { const v = state.live.get(k);
      const o = el('option', { value: k, text: v.model + ' v' + v.version }); if (k === chosen) o.selected = true; return o; }));
    const v = chosen && state.live.get(chosen);
    if (!v) return;
    $('matrix-note').textContent = v.model + ' v' + v.version + ': ' + (v.accuracy !== undefined ? pct(v.accuracy) : '–')
      + ' of ' + v.outcomes + ' labelled predictions, as the trainer counted them at ' + time(v.ts);
    const rows = v.confusion;
    $('per-class').replaceChildren(el('tr', {}, el('th', { scope: 'col', text: 'class' }),
      el('th', { scope: 'col', text: 'n' }), el('th', { scope: 'col', text: 'accuracy' })),
      ...rows.map((r, i) => el('tr', {}, el('th', { scope: 'row', text: name(i) }),
        el('td', { text: String(r.reduce((a, b) => a + b, 0)) }),
        el('td', { class: 'acc-cell', text: v.perClass[i] === null ? '–' : pct(v.perClass[i]) }))));
    const head = el('tr', {}, el('th', { text: 'true \\ predicted' }), ...rows.map((r, j) => el('th', { scope: 'col', text: name(j) })));
    $('confusion').replaceChildren(head, ...rows.map((r, i) => {
      const total = r.reduce((a, b) => a + b, 0) || 1;
      return el('tr', {}, el('th', { scope: 'row', text: name(i) }), ...r.map((n, j) => {
        const share = n / total;
        const colour = i === j ? '26,127,55' : '198,40,40';
        return el('td', { class: 'cell', title: name(i) + ' predicted as ' + name(j) + ': ' + n,
          style: 'background:rgba(' + colour + ',' + share.toFixed(2) + ')', text: String(n) });
      }));
    }));
  }
  $('matrix-version').addEventListener('change', renderMatrix);

  // --- models: timeline and curves ---
  function renderTimeline() {
    const items = state.events.filter((e) => e.type !== 'epoch').slice(-60).reverse();
    $('timeline').replaceChildren(...items.map((e) => {
      let text = time(e.ts) + ' ' + e.type + (e.version ? ' v' + e.version : '');
      if (e.type === 'serving') text = time(e.ts) + ' serving v' + e.version + ' — ' + e.message;
      if (e.trigger) text += ' (' + e.trigger + ')';
      if (e.candidateScore !== undefined) text += ' candidate ' + e.candidateScore.toFixed(4);
      if (e.servingScore !== undefined) text += ' vs serving ' + e.servingScore.toFixed(4);
      if (e.message && e.type !== 'serving') text += ' — ' + e.message;
      return el('li', { class: e.type, text });
    }));
    renderCurves();
  }

  function renderCurves() {
    const epochs = state.events.filter((e) => e.type === 'epoch');
    const svg = $('curves');
    if (!epochs.length) { svg.replaceChildren(); $('curve-run').textContent = '(no training run seen yet)'; return; }
    const run = epochs[epochs.length - 1].runId;
    const pts = epochs.filter((e) => e.runId === run).sort((a, b) => a.epoch - b.epoch);
    $('curve-run').textContent = 'run ' + run + ', ' + pts.length + ' epoch' + (pts.length === 1 ? '' : 's');
    const W = 360, H = 160, L = 30, B = 20, T = 8;
    const maxEpoch = Math.max(2, ...pts.map((p) => p.epoch));
    const maxLoss = Math.max(0.1, ...pts.map((p) => p.loss || 0));
    const x = (ep) => L + (W - L - 8) * (ep - 1) / (maxEpoch - 1);
    const y = (v) => T + (H - T - B) * (1 - v);
    const ns = 'http://www.w3.org/2000/svg';
    const mk = (tag, a) => { const e = document.createElementNS(ns, tag); for (const k in a) e.setAttribute(k, a[k]); return e; };
    const kids = [mk('line', { x1: L, y1: y(0), x2: W - 8, y2: y(0), stroke: '#ccc' }),
      mk('line', { x1: L, y1: T, x2: L, y2: y(0), stroke: '#ccc' })];
    const label = (t, a) => { const e = mk('text', a); e.textContent = t; return e; };
    kids.push(label('1', { x: L, y: H - 6 }), label(String(maxEpoch), { x: W - 16, y: H - 6 }),
      label('epoch', { x: W / 2, y: H - 6 }), label('1.0', { x: 4, y: T + 6 }), label('0', { x: 18, y: y(0) }));
    const line = (cls, f) => mk('polyline', { class: cls, points: pts.filter((p) => p[f] !== undefined)
      .map((p) => x(p.epoch) + ',' + y(f === 'loss' ? p.loss / maxLoss : p.accuracy)).join(' ') });
    kids.push(line('loss', 'loss'), line('acc', 'accuracy'));
    for (const p of pts) {
      if (p.accuracy !== undefined) kids.push(mk('circle', { cx: x(p.epoch), cy: y(p.accuracy), r: 2.5, fill: '#1a7f37' }));
    }
    svg.replaceChildren(...kids);
  }

  function renderDlq() {
    $('dlq').replaceChildren(...state.dlq.slice(-30).reverse().map((d) => el('tr', {},
      el('td', { text: d.id }), el('td', { text: d.error || '' }), el('td', { text: d.reason || '' }),
      el('td', { text: (d['source-topic'] || '') + ' ' + (d['source-partition'] || '') + '@' + (d['source-offset'] || '') }))));
  }

  function apply(batch) {
    let preds = false, events = false, dlq = false;
    for (const p of batch.predictions) {
      const known = state.predictions.get(p.id);
      if (!known || known.seq < p.seq) { state.predictions.set(p.id, p); preds = true; }
    }
    if (state.predictions.size > 200) {
      const keep = [...state.predictions.values()].sort((a, b) => b.seq - a.seq).slice(0, 100);
      state.predictions = new Map(keep.map((p) => [p.id, p]));
    }
    for (const e of batch.events) if (!state.eventSeqs.has(e.seq)) { state.eventSeqs.add(e.seq); state.events.push(e); events = true; }
    for (const d of batch.deadLetters) if (!state.dlqSeqs.has(d.seq)) { state.dlqSeqs.add(d.seq); state.dlq.push(d); dlq = true; }
    if (state.events.length > 500) state.events.splice(0, state.events.length - 400);
    if (state.dlq.length > 60) state.dlq.splice(0, state.dlq.length - 30);
    let live = false;
    for (const v of batch.liveAccuracy || []) { state.live.set(v.model + ':' + v.version, v); live = true; }
    while (state.live.size > 8) state.live.delete(state.live.keys().next().value);
    renderStats(batch.stats);
    if (live) renderMatrix();
    if (preds) renderStrip();
    if (events) renderTimeline();
    if (dlq) renderDlq();
  }

  function connect() {
    const source = new EventSource('/console/events');
    const onBatch = (m) => { $('conn').textContent = 'live'; apply(JSON.parse(m.data)); };
    source.addEventListener('snapshot', onBatch);
    source.addEventListener('update', onBatch);
    source.onerror = () => { $('conn').textContent = 'reconnecting…'; };
  }

  // --- try it: a file, a drop, or the canvas ---
  async function classify(body, type, query, what) {
    const out = $('try-result');
    delete out.dataset.id;
    out.replaceChildren(el('div', { text: 'sending ' + what + '…' }));
    try {
      const accepted = await send('POST', '/images' + (query || ''), body, type);
      out.replaceChildren(el('div', { text: 'on ' + accepted.topic + ' partition ' + accepted.partition + ' offset '
        + accepted.offset + ', waiting for the classifier…' }));
      const r = await fetch('/predictions/' + encodeURI(accepted.id) + '?timeout=30000');
      const p = await r.json();
      if (!r.ok) throw new Error(p.error || ('HTTP ' + r.status));
      out.dataset.id = p.id;
      out.replaceChildren(el('div', { class: 'big', id: 'try-label', text: p.label }),
        el('div', { text: pct(p.confidence) + ' by ' + p.model + ' v' + p.version }),
        el('div', { class: 'hint', text: 'id ' + p.id + ' · ingested ' + time(p.ingestTs) + ' · classified '
          + time(p.classifyTs) + ' · latency ' + p.latencyMs + ' ms' }));
    } catch (e) {
      out.replaceChildren(el('div', { class: 'bad', id: 'try-error', text: e.message }));
    }
  }

  function sendFile(file) {
    if (file) classify(file, file.type || 'application/octet-stream', '', file.name);
  }
  $('upload-file').addEventListener('change', (e) => sendFile(e.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); sendFile(e.dataTransfer.files[0]); });

  const canvas = $('canvas');
  const g = canvas.getContext('2d');
  function clear() { g.fillStyle = '#000'; g.fillRect(0, 0, canvas.width, canvas.height); }
  clear();
  let drawing = false;
  const at = (e) => { const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; };
  canvas.addEventListener('pointerdown', (e) => { drawing = true; canvas.setPointerCapture(e.pointerId);
    g.beginPath(); g.moveTo(...at(e)); });
  canvas.addEventListener('pointermove', (e) => { if (!drawing) return;
    g.strokeStyle = '#fff'; g.lineWidth = 24; g.lineCap = 'round'; g.lineJoin = 'round'; g.lineTo(...at(e)); g.stroke(); });
  canvas.addEventListener('pointerup', () => { drawing = false; });
  $('canvas-clear').addEventListener('click', clear);
  $('canvas-send').addEventListener('click', () => {
    // Scaled down by the browser to the model's 28x28, then sent as grey bytes, what the model reads.
    const small = document.createElement('canvas');
    small.width = 28; small.height = 28;
    const s = small.getContext('2d');
    s.imageSmoothingEnabled = true; s.imageSmoothingQuality = 'high';
    s.drawImage(canvas, 0, 0, 28, 28);
    const rgba = s.getImageData(0, 0, 28, 28).data;
    const grey = new Uint8Array(28 * 28);
    for (let i = 0; i < grey.length; i++) {
      grey[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    }
    classify(grey, 'application/x-osprey-raw', '?width=28&height=28&channels=1', 'the drawing');
  });

  // --- retrain ---
  $('retrain').addEventListener('click', async () => {
    const status = $('retrain-status');
    status.textContent = 'asking…';
    try {
      const r = await send('POST', '/console/retrain');
      status.textContent = 'asked: ' + r.model + ' on ' + r.topic + ' offset ' + r.offset + '; the timeline shows the run';
    } catch (e) {
      status.textContent = e.message;
    }
  });

  fetch('/console/info').then((r) => r.json()).then((info) => {
    state.tokenRequired = info.tokenRequired;
    if (info.tokenRequired && !token()) askToken();
  });
  connect();
})();
