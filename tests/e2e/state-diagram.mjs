// The state diagram of the details panel as it lies on the screen, for the layout checks of
// qa10.test.mjs and qa12.test.mjs: its boxes and labels, which labels touch a box or another
// label, where each greeting arrow ends, which box names spill out of their box, the smallest
// text on screen, and the figure's size and place in the window.
export const stateDiagram = (page) => page.evaluate(() => {
  const fig = document.querySelector('#state-diagram');
  const svg = fig.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...fig.querySelectorAll('text')].filter((t) => t.textContent).map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
  const boxes = [...fig.querySelectorAll('.st')].map((g) => ({ s: g.dataset.state, g, r: g.querySelector('rect').getBoundingClientRect() }));
  const labels = [...fig.querySelectorAll('.st-edge text')].map((t) => ({ t: t.textContent, r: t.getBoundingClientRect() }));
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const cut = labels.filter((l) => boxes.some((b) => meet(l.r, b.r))).map((l) => l.t);
  const clash = [];
  labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => { if (meet(a.r, b.r)) clash.push(`${a.t} / ${b.t}`); }));
  // Each greeting arrow ends on the edge of one box: its top or (drawn top to bottom since
  // qa12) its left side.
  const end = (p) => {
    const q = p.getPointAtLength(p.getTotalLength());
    const m = p.getScreenCTM();
    return { x: q.x * m.a + m.e, y: q.y * m.d + m.f };
  };
  const entries = [...fig.querySelectorAll('.st-edge')].filter((g) => ['OK', 'PREAUTH', 'BYE'].includes(g.querySelector('text')?.textContent)).map((g) => {
    const e = end(g.querySelector('path'));
    const into = boxes.find((b) => (e.x >= b.r.left && e.x <= b.r.right && Math.abs(e.y - b.r.top) < 3)
      || (e.y >= b.r.top && e.y <= b.r.bottom && Math.abs(e.x - b.r.left) < 3));
    return [g.querySelector('text').textContent, into ? into.s : null];
  });
  // Every box's name inside its box.
  const spill = boxes.filter((b) => {
    const t = b.g.querySelector('text').getBoundingClientRect();
    return t.left < b.r.left || t.right > b.r.right;
  }).map((b) => b.s);
  const r = svg.getBoundingClientRect();
  return {
    min: Math.min(...sizes), cut, clash, entries, spill, text: fig.textContent, caption: fig.querySelector('figcaption').textContent,
    width: r.width, height: r.height, right: r.right, view: innerWidth,
  };
});
