// Package policy decides what an alert does: capture policies (which
// alerts lead to which action, with which process selector), the limits
// that keep captures of production apps rare (per-target cooldown, action
// count per sliding window, daily cap, startup grace, rule expiry), the
// allowlist of subscriptions and resource groups, and scheduled sweeps.
//
// Everything is read from one configuration file (Config, JSON; see
// docs/ingest.md and docs/policies.example.json). Evaluation is pure:
// Evaluate returns a Decision without side effects, so the same code
// answers "what would this alert do?" (dry run) and drives ingest. Limits
// are enforced by a Limiter whose state lives in a Store; BlobStore keeps
// it in the blob port so that it survives restarts and is shared by every
// ingest replica.
//
// Resolved alerts never capture.
package policy
