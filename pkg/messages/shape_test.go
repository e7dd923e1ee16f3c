package messages

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions the shape checks stand for.
var shapePatterns = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
}{
	{"id", regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,95}$`), validID},
	{"traceparent", regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`), validTraceParent},
	{"sha256", regexp.MustCompile(`^[0-9a-f]{64}$`), validSHA256},
	{"site name", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,59}$`), validSiteName},
}

func shapeSeeds() []string {
	return []string{"", "a", "A", "-", "a-", "-a", "a.b_c-d", "Ab", "a\n", "é", "a\x00",
		strings.Repeat("a", 60), strings.Repeat("a", 61), strings.Repeat("a", 96), strings.Repeat("a", 97),
		strings.Repeat("0f", 32), strings.Repeat("0F", 32), strings.Repeat("0f", 32) + "\n",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		incident, JobID(incident, site), site.ResourceID, strings.ToUpper(site.ResourceID), "/PROVIDERS/Microsoft.Web/SITES/",
		"/providers/microſoft.web/sites/", "/provİders/microsoft.web/sites/", "/providers/microsoft.web/sites", "x/providers/microsoft.web/sites/y"}
}

func checkShapes(t *testing.T, s string) {
	const sites = "/providers/microsoft.web/sites/"
	if got, want := containsFoldASCII(s, sites), strings.Contains(strings.ToLower(s), sites); got != want {
		t.Errorf("containsFoldASCII(%q) = %v, strings.ToLower says %v", s, got, want)
	}
	for _, p := range shapePatterns {
		if got, want := p.check(s), p.re.MatchString(s); got != want {
			t.Errorf("%s check of %q = %v, regexp %v", p.name, s, got, want)
		}
	}
}

func TestShapesMatchPatterns(t *testing.T) {
	for _, s := range shapeSeeds() {
		checkShapes(t, s)
	}
}

func FuzzShapes(f *testing.F) {
	for _, s := range shapeSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkShapes)
}
