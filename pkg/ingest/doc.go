// Package ingest is the core of the ingest service, the front door of the
// alert pipeline. It turns a trigger — an alert webhook, a manual or bulk
// capture request, or a scheduled sweep — into one incident: it decides
// with the capture policies (pkg/policy) whether and how to capture,
// resolves the targets to App Service apps (expanding plans, resource
// groups and tag selectors through a SiteDirectory), refuses anything
// outside the allowlist, reserves the policy's limits, writes the incident
// manifest (create-if-absent) and sends one CaptureJob per app.
//
// Everything is keyed deterministically so that a trigger delivered twice
// makes one incident: the incident id derives from the alert's stable id
// and fire time (or the schedule slot, or the caller's request id), the
// manifest write is create-if-absent, and each job's queue message id is
// derived from the job id so that the queue drops resends.
//
// Handler exposes the HTTP API (see docs/ingest.md):
//
//	POST /v1/alerts             alert webhook, schema detected from the body
//	POST /v1/alerts/{source}    alert webhook of the named source
//	POST /v1/captures           manual or bulk capture
//	GET  /v1/incidents/{id}     manifest, finished jobs, dumps and report
//
// Every endpoint requires authentication (a shared secret as ?token= or
// X-Dumpflow-Token, compared in constant time, or an Entra ID bearer
// token), and requests are bounded in size and rate.
package ingest
