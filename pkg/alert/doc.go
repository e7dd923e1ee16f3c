// Package alert parses the webhook payloads of every alert source dumpflow
// accepts into one normalized Alert:
//
//   - Azure Monitor common alert schema (metric static and dynamic, log
//     search v1 and v2, activity log, resource and service health, smart
//     detection): source "azure-monitor-common";
//   - the legacy (non-common) metric alert schema: "azure-monitor-metric-legacy";
//   - legacy activity-log alerts: "azure-activity-log";
//   - Alerts (Classic) metric and event webhooks: "azure-classic";
//   - legacy log alerts (Application Insights and Log Analytics):
//     "azure-log-alert-legacy";
//   - Prometheus Alertmanager webhook v4: "alertmanager";
//   - Grafana unified-alerting webhooks: "grafana".
//
// Parse detects the schema from the payload's shape; ParseAs takes an
// explicit source (as in POST /v1/alerts/{source}). A payload of no known
// shape fails with an *UnknownShapeError naming the schemas tried.
//
// Values are kept verbatim where the fixtures' .expected.json files say so:
// ids keep their case, and FiredAt is the timestamp string exactly as sent
// (FiredTime holds it parsed). Parsers are tolerant of unknown fields (Azure
// adds fields over time) but never panic on any input; every parser is
// fuzzed.
package alert
