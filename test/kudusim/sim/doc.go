// Package sim is the Kudu simulator: one HTTP listener that plays Azure
// Resource Manager and the Kudu (SCM) site of any number of App Service
// apps, each with any number of instances, as documented in docs/kudu.md
// and checked by the conformance suite (test/kudusim/conformance), which
// re-expresses Kudu's own functional tests. Tests embed it like
// httptest.Server:
//
//	srv, err := sim.New(sim.Config{Apps: 2, Instances: 3, DumpSize: 8 << 20})
//	if err != nil { … }
//	defer srv.Close()
//	info := srv.Info() // arm_url, scm_url_template, apps with resource ids and instance ids
//
// URL layout (one host, so the SCM sites are told apart by path):
//
//	GET /                          Info as JSON (the test/kudusim contract)
//	/subscriptions/…/sites/{app}…  ARM (arm_url is the server URL)
//	/{app}/api/processes…          Kudu of {app} (scm_url = URL + "/" + app),
//	/{app}/api/vfs/…, /{app}/api/command, and the deprecated aliases
//	/_sim/events                   recorded events (JSON); /_sim/apps/{app}/instances (POST, DELETE …/{id})
//
// Behaviour reproduced from Kudu's source: ARRAffinity routing (unknown or
// absent instance ids silently land on another instance; responses set the
// cookie, scoped to /{app} here), the process list and detail JSON
// (snake_case, default values omitted, machineName), ids 0 and -1, kill
// with children and a w3wp that comes back with a new pid on the next
// request, dumps staged in one per-app file (a concurrent dump of the same
// app fails with 500; nothing is sent until the dump is written), raw and
// zip formats, the VFS (slash redirects, ETag, Range/If-Range, If-Match
// lists, 404 while a file is locked, the SystemDrive and LocalSiteRoot
// folders), the command API with a slice of cmd.exe, a simulated ProcDump
// and Kudu's idle rule, and Kudu's catch-all 404 for unrouted requests. A
// kill of Kudu's own process never answers (Config.SCMKillStatus). Dumps are valid minidumps from package dumpgen,
// deterministic per (seed, app, instance, pid, dumpType, size) — and the
// process's dump number under Script.Stuck, which moves the frame 0 of the
// threads it does not call stuck from dump to dump — streamed with flat
// memory.
//
// Faults (Config.Faults) are injected by the simulated front end before a
// request reaches Kudu, and into dump and VFS bodies. Every dump served,
// staged dump written, VFS read, kill, respawn, scale event and fault is
// recorded (Server.Events, GET /_sim/events) as ground truth for chaos
// tests.
package sim
