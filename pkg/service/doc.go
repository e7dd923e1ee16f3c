// Package service holds the process plumbing every dumpflow binary shares:
// a signal-aware root context, slog logging (JSON when stderr is not a
// terminal), and an HTTP server with /healthz and /readyz that shuts down
// gracefully; the subcommand table, the flag rules (DUMPFLOW_<FLAG>
// variables) and ServeFlags, the flags every serve command shares. It
// holds no business logic.
package service
