package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
)

// A dump whose thread list was cut at the analyzer's limit says so, with
// the dump's total, in every rendering.
func TestTruncatedThreadsAreShownWithTheTotal(t *testing.T) {
	a := &dumpfacts.Analysis{
		Process:   &dumpfacts.Process{ThreadCount: 100000},
		Threads:   []dumpfacts.Thread{{ID: 1, Frames: []string{"a.dll+0x10"}}},
		Truncated: &dumpfacts.Truncated{Threads: &dumpfacts.Count{Analyzed: 1, Total: 100000}},
	}
	for _, f := range []string{FormatMarkdown, FormatHTML} {
		var b bytes.Buffer
		if err := WriteDump(&b, a, "x.dmp", f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "1 of 100000") {
			t.Errorf("%s: no \"1 of 100000\" in the rendering", f)
		}
	}
}
