// The console's live parts, no build step: a Send's progress over Server-Sent Events, and a CSV
// file read into the import form. Loaded as a file (the CSP allows no inline script).
'use strict';

function showProgress(root, p) {
  const progress = document.getElementById('progress');
  if (progress) {
    progress.max = p.total;
    progress.value = p.settled;
    progress.textContent = `${p.settled} of ${p.total}`;
  }
  const text = document.getElementById('progress-text');
  if (text) text.textContent = `${p.settled} of ${p.total} done`;
  for (const [state, n] of Object.entries(p.counts)) {
    const cell = root.querySelector(`[data-count="${state}"]`);
    if (cell) cell.textContent = String(n);
  }
  const rate = document.getElementById('rate');
  if (rate) rate.textContent = p.rate.toFixed(1);
  const status = document.getElementById('send-status');
  if (status) {
    status.textContent = p.finished
      ? `Finished ${p.finishedAt}.`
      : p.paused
        ? `Paused until ${p.paused.until}: ${p.paused.reason}`
        : p.running
          ? 'Sending.'
          : 'Waiting (nothing due here now; another process or a retry later may send the rest).';
  }
  root.dataset.state = p.finished ? 'done' : 'live';
}

function followSend(root) {
  const source = new EventSource(root.dataset.events);
  source.addEventListener('progress', (e) => showProgress(root, JSON.parse(e.data)));
  source.addEventListener('done', (e) => {
    showProgress(root, JSON.parse(e.data));
    source.close();
  });
}

function fillFromFile(input) {
  const target = document.getElementById(input.dataset.fills);
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    if (file && target) file.text().then((t) => (target.value = t));
  });
}

document.addEventListener('DOMContentLoaded', () => {
  for (const root of document.querySelectorAll('[data-events]')) followSend(root);
  for (const input of document.querySelectorAll('input[data-fills]')) fillFromFile(input);
});
