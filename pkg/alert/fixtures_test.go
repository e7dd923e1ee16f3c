package alert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixturesDir is the shared alert fixtures, relative to this package.
const fixturesDir = "../../../shared/fixtures/alerts"

// fixtures returns every payload under fixturesDir (every *.json that is
// not an .expected.json), skipping (or failing under CI=true) when the
// shared data is absent.
func fixtures(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(fixturesDir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared alert fixtures missing at %s: %v", fixturesDir, err)
		}
		tb.Skipf("shared alert fixtures not found at %s (set up /work/shared); skipping", fixturesDir)
	}
	var out []string
	err := filepath.WalkDir(fixturesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".expected.json") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("no fixtures under %s", fixturesDir)
	}
	return out
}

// TestFixtures parses every fixture (auto-detected, and again with the
// source named by its directory) and compares every key of its
// .expected.json with the normalized JSON.
func TestFixtures(t *testing.T) {
	for _, path := range fixtures(t) {
		rel, _ := filepath.Rel(fixturesDir, path)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wantRaw, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".expected.json")
			if err != nil {
				t.Fatalf("every fixture needs an .expected.json: %v", err)
			}
			var want map[string]any
			if err := json.Unmarshal(wantRaw, &want); err != nil {
				t.Fatal(err)
			}
			a, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			compareExpected(t, a, want)

			dir := filepath.Base(filepath.Dir(path))
			b, err := ParseAs(dir, data)
			if err != nil {
				t.Fatalf("ParseAs(%q): %v", dir, err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("ParseAs(%q) differs from Parse", dir)
			}
			if a.FiredAt != "" && a.FiredTime.IsZero() && !strings.HasPrefix(a.FiredAt, "0001-") {
				t.Errorf("FiredTime not parsed from %q", a.FiredAt)
			}
		})
	}
}

func compareExpected(t *testing.T, a *Alert, want map[string]any) {
	t.Helper()
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"source", "status", "rule", "severity", "alert_id", "fired_at", "resource_ids"} {
		if _, ok := got[k]; !ok {
			t.Errorf("output lacks required key %q", k)
		}
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing from output, want %v", k, w)
			continue
		}
		if k == "alerts" {
			compareEntries(t, g, w)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
}

// compareEntries compares the keys the expected entries name.
func compareEntries(t *testing.T, got, want any) {
	t.Helper()
	g, _ := got.([]any)
	w, _ := want.([]any)
	if len(g) != len(w) {
		t.Fatalf("alerts: %d entries, want %d", len(g), len(w))
	}
	for i := range w {
		we, _ := w[i].(map[string]any)
		ge, _ := g[i].(map[string]any)
		for k, wv := range we {
			if gv := ge[k]; !reflect.DeepEqual(gv, wv) {
				t.Errorf("alerts[%d].%s = %#v, want %#v", i, k, gv, wv)
			}
		}
	}
}
