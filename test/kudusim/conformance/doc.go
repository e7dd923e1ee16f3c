// Package conformance holds no code: its tests are the Kudu simulator's
// conformance suite. They re-express, as HTTP checks against
// test/kudusim/sim, the assertions of Kudu's own functional tests
// (projectkudu/kudu, Kudu.FunctionalTests) for the process, VFS and
// command APIs, plus facts read from the controllers those tests drive.
// Each test names the Kudu test (file and method) or source (file and
// method) it comes from; docs/kudu.md lists the facts and where the
// project's earlier reading of Kudu was wrong.
//
// Kudu's tests run against a local IIS with the test harness; where an
// assertion depends on that harness rather than on Kudu (HOME named after
// the test app, PowerShell, certutil, npm on the machine), the check is
// adapted to App Service or skipped with the reason.
package conformance
