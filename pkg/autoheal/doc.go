// Package autoheal evaluates App Service auto-heal rules centrally, for a
// whole fleet, with dumpflow's capture pipeline as the action.
//
// It has App Service's semantics (docs/autoheal.md): the
// triggers requests, slowRequests, slowRequestsWithPath, statusCodes,
// statusCodesRange and privateBytesInKB, each evaluated per instance over
// a rolling window, combined with OR; minProcessExecutionTime as a startup
// grace; and the two Proactive Auto-Heal rules (private bytes above 90 % of
// the process limit for more than 30 s; at least 80 % of at least 5
// requests in 120 s taking 200 s or more) with their flap guard.
//
// Windows are half-open: an event at time e counts at time now when
// now-interval < e <= now. A count trigger fires when the count reaches
// its threshold (count exactly at threshold fires).
//
// CPU rules (CPURule, CPUWatch) are App Service's proactive CPU monitoring
// with DaaS's semantics: per-process CPU sampled every MonitorDuration on
// every instance, an action when consecutive high samples cover
// ThresholdSeconds, MaxActions counted across instances in a shared store.
//
// Rules come from a rules file (File) or are imported from a site's
// siteConfig.autoHealRules (Import). Observations come from sources behind
// the Source port: Kudu process details (memory), the site's web server
// logs read through Kudu's VFS (every request, so every request trigger
// evaluates as in-process auto-heal does: WebLogs), Azure Monitor metrics
// (per-minute totals, the fallback for sites that do not write web server
// logs), and alerts already arriving at ingest.
package autoheal
