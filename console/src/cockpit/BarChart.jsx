// A bar chart drawn by Chart.js (bundled, loaded with the pages that draw charts): labels,
// datasets [{label, data, color}], stacked or side by side. The canvas is an image with a
// name; the numbers are also in a table beside it on every page that uses it.
import { useEffect, useRef } from 'preact/hooks';

let chartModule = null;
function loadChart() {
  chartModule ??= import('chart.js').then(({ Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip }) => {
    Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
    return Chart;
  });
  return chartModule;
}

export function BarChart({ label, labels, datasets, stacked = false, unit = '', testId }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    let cancelled = false;
    loadChart().then((Chart) => {
      if (cancelled || !canvas.current) return;
      chart.current?.destroy();
      chart.current = new Chart(canvas.current, {
        type: 'bar',
        data: { labels, datasets: datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.color })) },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {
            x: { stacked, ticks: { autoSkip: false, maxRotation: 50 } },
            y: { stacked, beginAtZero: true, title: { display: Boolean(unit), text: unit } },
          },
          plugins: { legend: { position: 'bottom' } },
        },
      });
      canvas.current.dataset.drawn = 'true';
    });
    return () => { cancelled = true; };
  }, [JSON.stringify(labels), JSON.stringify(datasets), stacked, unit]);
  useEffect(() => () => chart.current?.destroy(), []);
  return <div class="chart-box"><canvas ref={canvas} role="img" aria-label={label} data-testid={testId} /></div>;
}
