#!/usr/bin/env bash
# report.sh [SCRIPT [REPORT]]: runs a k6 script (examples/report.js) against
# REGISTRY_URL (bin/with-registry sets it) with k6's built-in web dashboard
# on, which writes one self-contained HTML report (report.html) at the end,
# laid out by report/dashboard.json: k6's own tabs and a Registry tab. With
# METRICS_URL (bin/with-registry -metrics sets it) the script scrapes the
# registry's own metrics too, for the Client and server section.
#
#   K6_WEB_DASHBOARD_PERIOD  one point per period (REPORT_PERIOD, 1s here; k6's default is 10s,
#                            and a run of fewer than two periods writes no report)
#   K6_WEB_DASHBOARD_TAGS    the tags the dashboard keeps a series of each metric by
#   K6_WEB_DASHBOARD_HOST/PORT  the live dashboard's web server: 127.0.0.1 on a free port.
#                            Port -1 does not turn it off: k6 v2.2.0 then listens on every
#                            interface on a random port.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
k6=${K6_BIN:-$root/bin/k6}
script=${1:-$root/examples/report.js}
report=${2:-report.html}

K6_WEB_DASHBOARD=true \
  K6_WEB_DASHBOARD_EXPORT="$report" \
  K6_WEB_DASHBOARD_PERIOD="${REPORT_PERIOD:-1s}" \
  K6_WEB_DASHBOARD_TAGS=group,registry_op,direction,registry_error_code,action \
  K6_WEB_DASHBOARD_HOST=127.0.0.1 \
  K6_WEB_DASHBOARD_PORT=0 \
  XK6_DASHBOARD_CONFIG="${XK6_DASHBOARD_CONFIG:-$root/report/dashboard.json}" \
  "$k6" run --no-color "$script"
if [ ! -s "$report" ]; then
  echo "report.sh: k6 wrote no report to $report (a run shorter than two periods writes none)" >&2
  exit 1
fi
echo "report.sh: wrote $report" >&2
