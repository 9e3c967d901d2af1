#!/usr/bin/env bash
# Lighthouse against a running site (start it with `make run`), with Debian's chromium: prints the
# four category scores and the first-load transfer size.
#
#   benchmarks/lighthouse.sh [URL]                 # default http://127.0.0.1:8000/, mobile preset
#   FORM_FACTOR=desktop benchmarks/lighthouse.sh   # Lighthouse's desktop preset
#   RUNS=5 benchmarks/lighthouse.sh                # report the median run by performance score
#
# Simulated mobile throttling multiplies the CPU time this machine needs by four, so the
# performance score moves with the load of a shared machine (see benchmarkIndex in the report):
# use RUNS on a busy box.
#
# Lighthouse comes from npm through npx (cached in ~/.npm/_npx after the first run); it never
# downloads a browser: CHROME_PATH points at /usr/bin/chromium. Lighthouse 12 is the last major
# release that runs on Node 20 (13 needs Node >= 22.19). The JSON report is kept in $OUT_DIR.
set -euo pipefail
URL=${1:-http://127.0.0.1:8000/}
FORM_FACTOR=${FORM_FACTOR:-mobile}
RUNS=${RUNS:-1}
LIGHTHOUSE=${LIGHTHOUSE:-lighthouse@12.8.2}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t lighthouse-XXXXXX)}
mkdir -p "$OUT_DIR"
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

command -v npx >/dev/null || { echo "npx (npm) is needed: apt-get install npm" >&2; exit 1; }
[ -x "$CHROME_PATH" ] || { echo "no chromium at $CHROME_PATH" >&2; exit 1; }
curl -fsS -o /dev/null "$URL" || { echo "$URL does not answer; start the site with make run" >&2; exit 1; }

preset=()
[ "$FORM_FACTOR" = desktop ] && preset=(--preset=desktop)
reports=()
for run in $(seq 1 "$RUNS"); do
  report="$OUT_DIR/lighthouse-$FORM_FACTOR-$run.json"
  npx --yes "$LIGHTHOUSE" "$URL" "${preset[@]}" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic" \
    --output=json --output-path="$report" --quiet
  reports+=("$report")
done

node - "${reports[@]}" <<'JS'
const path = require("path");
const runs = process.argv.slice(2).map((file) => ({ file, report: require(path.resolve(file)) }));
runs.sort((x, y) => x.report.categories.performance.score - y.report.categories.performance.score);
const { file, report } = runs[Math.floor((runs.length - 1) / 2)];
if (runs.length > 1) {
  console.log(`${runs.length} runs, performance ${runs.map((r) => Math.round(r.report.categories.performance.score * 100)).join(", ")}; the median run:`);
}
const c = report.categories, a = report.audits;
console.log(`Lighthouse ${report.lighthouseVersion} · ${report.configSettings.formFactor} · ${report.finalDisplayedUrl} · benchmarkIndex ${Math.round(report.environment.benchmarkIndex)}`);
for (const id of ["performance", "accessibility", "best-practices", "seo"]) {
  console.log(`${c[id].title.padEnd(16)} ${Math.round(c[id].score * 100)}`);
}
const kb = (bytes) => (bytes / 1024).toFixed(1) + " KB";
console.log(`First-load transfer ${kb(a["total-byte-weight"].numericValue)} in ${a["network-requests"].details.items.length} requests`);
for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]) {
  console.log(`  ${a[id].title.padEnd(26)} ${a[id].displayValue}`);
}
const failing = Object.values(c).flatMap((cat) => cat.auditRefs)
  .map((ref) => a[ref.id]).filter((audit) => audit && audit.score !== null && audit.score < 1 && audit.scoreDisplayMode !== "informative" && audit.scoreDisplayMode !== "manual");
if (failing.length) console.log("Below full marks: " + failing.map((audit) => `${audit.id} (${audit.displayValue || audit.score})`).join(", "));
console.log(`Report: ${file}`);
JS
