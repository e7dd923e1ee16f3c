// Package service holds the process plumbing every dumpflow binary shares:
// a signal-aware root context, slog logging (JSON when stderr is not a
// terminal), and an HTTP server with /healthz and /readyz that shuts down
// gracefully. It holds no business logic.
package service
