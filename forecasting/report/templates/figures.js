// Draws every figure of the page from the JSON block; the only inline script on a page.
const specs = JSON.parse(document.getElementById('figures').textContent);
for (const el of document.querySelectorAll('[data-figure]')) {
  const spec = specs[el.dataset.figure];
  Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true});
}
