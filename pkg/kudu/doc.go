// Package kudu is a client for the Kudu (App Service SCM) process API and
// the few Azure Resource Manager calls around it, written to
// docs/kudu.md.
//
// # Shape
//
//   - ARM (NewARM) lists a site's instances and reads its SCM host from
//     hostNameSslStates (hostType "Repository"), or from a template in tests.
//   - Client (New) talks to one site's SCM host. Client.Instance pins it to
//     one instance with the ARRAffinity cookies; VerifyInstance checks who
//     answers, because the front end silently routes unknown instance ids
//     elsewhere. A pinned request answered by another instance fails with
//     ErrWrongInstance.
//   - Processes: ListProcesses (short form), Process (detail, also from an
//     ARM envelope), Threads, Modules, Environment, Kill (DELETE) and Stop
//     (POST …/stop). Kill and the dumpers refuse pid 0 and the SCM process.
//   - Dumps go through the Dumper interface. *Client is the direct strategy
//     (GET /api/processes/{pid}/dump, Kudu's shared staging file, first-byte
//     limit). *Staged runs a dump tool through the command API into a unique
//     file under %HOME% and downloads it through the VFS with resumable
//     ranges; it rests on Kudu's documented source behaviour, not on a live
//     test, and every assumption is a StagedConfig field.
//
// # Credentials
//
// Auth implementations (Bearer from an azcore.TokenCredential, App Service
// audience first then ARM; Basic with a password from a SecretSource:
// environment, file or Key Vault) never print their secrets. Credentials
// go only to the configured base URL's scheme and host: URLs taken from
// responses (href, children, nextLink, redirects) on any other host are
// refused with a *HostMismatchError naming both hosts.
//
// # Errors
//
// Non-success answers are *APIError (status, server message from JSON or
// HTML bodies, Retry-After); conditions are sentinels for errors.Is
// (ErrNotFound, ErrUnauthorized, ErrWrongInstance, ErrHostMismatch,
// ErrFirstByteTimeout, ErrIdleTimeout, ErrTruncated, ErrRefused, …).
// IsTransient classifies any error for retry loops; RetryAfter extracts the
// server's delay. The client itself never retries, except once after a 401
// when Auth can offer different credentials.
//
// # Tests
//
// Unit tests replay the responses of docs/kudu.md from httptest servers;
// the sub-package simtest runs the client against test/kudusim.
//
// # Timeouts
//
// Small requests have a whole-request timeout. Streaming requests (dumps,
// downloads) have a response-header timeout (minutes: Kudu writes the
// whole dump before the first byte) and then an idle-read timeout per
// Read; there is never a whole-body deadline.
package kudu
