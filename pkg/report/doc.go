// Package report renders what the analyzer knows, for people: one dump's
// analysis, and an incident's report across every app, instance and process
// it touched, each as JSON, Markdown (chat and tickets) and self-contained
// HTML (inline CSS, no external assets, readable offline).
//
// The incident report is a pure function of stored state (the manifest,
// the stored JobCompleted messages and the per-dump analyses): Build never
// reads a clock, so rendering the same state twice yields the same bytes,
// and late or duplicate messages cannot corrupt it.
package report
