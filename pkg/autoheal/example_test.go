package autoheal_test

import (
	"os"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
)

// The documented example rules file must stay valid.
func TestDocumentedExampleParses(t *testing.T) {
	data, err := os.ReadFile("../../docs/autoheal.example.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := autoheal.ParseFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.WatchedSites()) != 1 || !f.NeedsRequests() || len(f.CPURules) != 1 {
		t.Fatalf("example: sites %v, needs requests %v", f.WatchedSites(), f.NeedsRequests())
	}
}
