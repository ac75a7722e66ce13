/** A rule's ideal vs actual bars (chart.js, only the pieces used, registered once; this screen's chunk
 * is the only one that loads it). Readable without colour: the ideal bars are hatched, the actual ones
 * solid, every bar carries its value, and the same numbers are in the table below (aria-describedby). */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, type Plugin } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import type { RuleChart } from "./chart-data";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend);

const INK = "#1b1f24";
const ACTUAL = "#0b5cad";
const IDEAL = "#4a5360";

/** Diagonal hatching for the ideal bars, so they differ from the actual ones by pattern too. */
function hatch(): CanvasPattern | string {
  const tile = document.createElement("canvas");
  tile.width = tile.height = 8;
  const ctx = tile.getContext("2d");
  if (!ctx) return "#ffffff";
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, 8, 8);
  ctx.strokeStyle = IDEAL;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, 8);
  ctx.lineTo(8, 0);
  ctx.moveTo(-2, 2);
  ctx.lineTo(2, -2);
  ctx.moveTo(6, 10);
  ctx.lineTo(10, 6);
  ctx.stroke();
  return ctx.createPattern(tile, "repeat") ?? "#ffffff";
}

/** Writes each bar's value above it. */
function valueLabels(format: (n: number) => string): Plugin<"bar"> {
  return {
    id: "valueLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.fillStyle = INK;
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      chart.data.datasets.forEach((dataset, i) => {
        chart.getDatasetMeta(i).data.forEach((bar, j) => {
          const value = dataset.data[j];
          if (typeof value === "number") ctx.fillText(format(value), bar.x, bar.y - 2);
        });
      });
      ctx.restore();
    },
  };
}

export function RuleBars(props: {
  chart: RuleChart;
  idealLabel: string;
  actualLabel: string;
  label: string;
  describedBy: string;
  format: (n: number) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { chart, idealLabel, actualLabel, format } = props;
  useEffect(() => {
    if (!canvas.current) return;
    const drawn = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [
          { label: idealLabel, data: chart.ideal, backgroundColor: hatch(), borderColor: IDEAL, borderWidth: 2 },
          { label: actualLabel, data: chart.actual, backgroundColor: ACTUAL, borderColor: ACTUAL, borderWidth: 2 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { top: 18 } },
        plugins: { legend: { position: "bottom", labels: { color: INK } } },
        scales: {
          x: { ticks: { color: INK } },
          y: { beginAtZero: true, ticks: { color: INK, precision: 0 } },
        },
      },
      plugins: [valueLabels(format)],
    });
    return () => drawn.destroy();
  }, [chart, idealLabel, actualLabel]);
  return (
    <div class="dist-chart">
      <canvas ref={canvas} role="img" aria-label={props.label} aria-describedby={props.describedBy} />
    </div>
  );
}
