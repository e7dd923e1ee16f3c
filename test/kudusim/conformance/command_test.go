package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

type commandResult struct {
	Output   *string `json:"Output"`
	Error    *string `json:"Error"`
	ExitCode int     `json:"ExitCode"`
}

// run posts a command as Kudu.Client's RemoteCommandExecutor.ExecuteCommand
// does: JSON {command, dir} to ServiceUrl with its trailing slash
// (KuduRemoteClientBase: EnsureTrailingSlash), i.e. …/api/command/.
func run(t *testing.T, c *kuduClient, scm, command, dir string) commandResult {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"command": command, "dir": dir})
	r := c.send(http.MethodPost, scm+"/api/command/", string(body), "Content-Type", "application/json; charset=utf-8")
	wantStatus(t, "POST /api/command/ "+command, r, http.StatusOK)
	return decode[commandResult](t, r)
}

// assertOutput is CommandExecutorTests.AssertOutput: an expected text must
// be contained (case-insensitively); an empty expectation means exactly
// empty (so null does not pass).
func assertOutput(t *testing.T, what, expected string, actual *string) {
	t.Helper()
	switch {
	case expected == "" && (actual == nil || *actual != ""):
		t.Errorf("%s: %v, want exactly empty", what, show(actual))
	case expected != "" && (actual == nil || !strings.Contains(strings.ToLower(*actual), strings.ToLower(expected))):
		t.Errorf("%s: %v lacks %q", what, show(actual), expected)
	}
}

func show(s *string) string {
	if s == nil {
		return "null"
	}
	return `"` + *s + `"`
}

// TestCommandExecutorTests_CommandExecutorTest is Kudu.FunctionalTests/CommandExecutorTests.cs,
// CommandExecutorTest: each command with its expected Output, Error and
// ExitCode (working directory "." unless given).
func TestCommandExecutorTests_CommandExecutorTest(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	for _, tc := range []struct {
		command, dir, output, error string
		exitCode                    int
		skip                        string
	}{
		{command: "set MSBUILD_PATH", output: "msbuild"},
		{command: "set NONEXISTING", error: "NONEXISTING", exitCode: 1},
		{command: "echo %DEPLOYMENT_SOURCE%", output: `\`},
		{command: "echo %DEPLOYMENT_TARGET%", output: `\wwwroot`},
		{command: "echo %KUDU_SYNC_CMD%", output: "kudusync"},
		{command: "echo %KUDU_SELECT_NODE_VERSION_CMD%", output: `\selectNodeVersion`},
		{command: "echo %NPM_JS_PATH%", output: `\npm`},
		{command: "echo %PATH%", output: "git"},
		// The test expects the test app's name (HOME is its folder on the
		// harness); on App Service HOME is D:\home.
		{command: "echo %HOME%", output: `D:\home`},
		{command: "dir", dir: `.\site`, output: "wwwroot"},
		{command: "echo %EnableNuGetPackageRestore%", output: "true"},
		{command: "powershell get-process", output: "Handles", skip: "PowerShell is not simulated"},
		{command: `powershell -command " & { dir }"`, output: "LastWriteTime", skip: "PowerShell is not simulated"},
		{command: "certutil", output: "dump command completed successfully", skip: "certutil is not simulated"},
		{command: "npm install -g underscore", output: "AppData", skip: "npm is not simulated"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			dir := tc.dir
			if dir == "" {
				dir = "."
			}
			res := run(t, c, a.SCMURL, tc.command, dir)
			if res.ExitCode != tc.exitCode {
				t.Errorf("ExitCode %d, want %d", res.ExitCode, tc.exitCode)
			}
			assertOutput(t, "Error", tc.error, res.Error)
			assertOutput(t, "Output", tc.output, res.Output)
		})
	}
}

// TestCommandShell covers the cmd.exe features dumpflow's staged strategy
// may use beyond CommandExecutorTest: operators, if exist, set N=V, the
// 9009 of an unknown command, and a dir that names %HOME%.
func TestCommandShell(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	for _, tc := range []struct {
		command, dir, output string
		exitCode             int
	}{
		{`if exist "%HOME%\site\wwwroot" echo yes`, "", "yes\r\n", 0},
		{`if not exist %HOME%\data\nope.dmp echo absent`, "", "absent\r\n", 0},
		{`mkdir data\x && if exist data\x\ echo made`, "", "made\r\n", 0},
		{`cd`, `%HOME%\LogFiles`, "D:\\home\\LogFiles\r\n", 0},
		{`frob || echo after`, "", "after\r\n", 0},
		{`frob && echo never`, "", "", 9009},
		{`echo %NOT_DEFINED_X%`, "", "%NOT_DEFINED_X%\r\n", 0},
		{`if /i "%WEBSITE_SKU%"=="standard" echo std`, "", "std\r\n", 0},
		{`cmd /c echo nested & exit /b 3`, "", "nested \r\n", 3},
	} {
		res := run(t, c, a.SCMURL, tc.command, tc.dir)
		if res.Output == nil || *res.Output != tc.output || res.ExitCode != tc.exitCode {
			t.Errorf("%q in %q: Output %s Error %s ExitCode %d; want %q, %d", tc.command, tc.dir, show(res.Output), show(res.Error), res.ExitCode, tc.output, tc.exitCode)
		}
	}
}

// TestError404Controller_Handle checks Kudu's routing: api/command answers with or without
// the trailing slash its own client sends, and anything no route takes —
// an unknown path, or a known one with a verb its route does not accept —
// reaches Kudu.Services/Error404Controller.cs Handle: 404 with the JSON
// string "No route registered for '{path and query}'".
func TestError404Controller_Handle(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	for _, u := range []string{"/api/command", "/api/command/", "/command"} {
		r := c.send(http.MethodPost, a.SCMURL+u, `{"command":"echo hi"}`)
		if r.status != http.StatusOK || !strings.Contains(r.str(), `"Output":"hi\r\n"`) {
			t.Errorf("POST %s: %d %s", u, r.status, r.body)
		}
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/api/nothing?x=1"},
		{http.MethodGet, "/api/command"},
		{http.MethodPost, "/api/processes"},
		{http.MethodPut, "/api/processes/0"},
		{http.MethodPost, "/api/processes/0/kill"},
		{http.MethodPost, "/api/vfs/data/"},
	} {
		r := c.send(tc.method, a.SCMURL+tc.path, "")
		var msg string
		if r.status != http.StatusNotFound || json.Unmarshal(r.body, &msg) != nil || msg != "No route registered for '"+tc.path+"'" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
}
