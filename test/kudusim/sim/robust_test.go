package sim

import (
	"net/http"
	"strings"
	"testing"
)

// TestOddRequestsNeverPanic sends malformed and unusual requests; each must
// get a deliberate answer (a handler panic would drop the connection and
// fail the call).
func TestOddRequestsNeverPanic(t *testing.T) {
	s := newSim(t, Config{Instances: 2})
	a := s.Info().Apps[0]
	k := a.SCMURL
	arm := s.URL + a.ResourceID
	cases := []struct{ method, url, body string }{
		{"GET", k + "/api/processes/", ""},
		{"GET", k + "/api/processes//", ""},
		{"GET", k + "/api/processes/99999999999999999999", ""},
		{"GET", k + "/api/processes/-1/threads/abc", ""},
		{"GET", k + "/api/processes/-1/threads/1/extra", ""},
		{"GET", k + "/api/processes/-1/modules/zz", ""},
		{"GET", k + "/api/processes/-1/environments/", ""},
		{"GET", k + "/api/processes/-1/dump?dumpType=-5", ""},
		{"GET", k + "/api/processes/-1/dump?dumpType=99999999999", ""},
		{"GET", k + "/api/processes/-1/dump?format=", ""},
		{"GET", k + "/api/processes/-1/dump?format=raw&format=zip", ""},
		{"DELETE", k + "/api/processes/-2", ""},
		{"GET", k + "/api/vfs/%2e%2e/%2e%2e/x", ""},
		{"GET", k + "/api/vfs/LogFiles/minidump/minidump.dmp/", ""},
		{"PUT", k + "/api/vfs/", "x"},
		{"DELETE", k + "/api/vfs/", ""},
		{"DELETE", k + "/api/vfs/data/", ""},
		{"POST", k + "/api/command", `{"command":"procdump -ma"}`},
		{"POST", k + "/api/command", `{"command":"procdump -ma 1 ..\\..\\x.dmp"}`},
		{"POST", k + "/api/command", `{"command":"procdump -ma -1 x.dmp","dir":"C:\\windows"}`},
		{"POST", k + "/api/command", `{"command":"\"unterminated"}`},
		{"POST", k + "/api/command", `{"command":""}`},
		{"GET", k + "/api/command", ""},
		{"GET", arm + "/instances?api-version=1&$skiptoken=-4", ""},
		{"GET", arm + "/instances?api-version=1&$skiptoken=999", ""},
		{"GET", arm + "/instances/x/processes/-1/dump?api-version=1", ""},
		{"GET", arm + "/processes/0?api-version=1", ""},
		{"PATCH", arm + "?api-version=1", ""},
		{"GET", s.URL + "/subscriptions/", ""},
		{"GET", s.URL + "/_sim/nothing", ""},
		{"POST", s.URL + "/", ""},
	}
	for _, c := range cases {
		r := call(t, c.method, c.url, strings.NewReader(c.body))
		if r.status >= 500 && !strings.Contains(c.url, "dumpType") {
			t.Errorf("%s %s: %d %s", c.method, c.url, r.status, r.body)
		}
	}
	if r := get(t, arm+"/processes/0?api-version=1"); r.status != http.StatusOK {
		t.Errorf("ARM processes/0: %d", r.status)
	}
}
