package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReportFitsScreens renders the sample incident report and one with a
// dump series in headless
// Chromium at 1000 and 1400 px and checks that nothing overflows
// horizontally (the links column once fell off a 1000 px screen behind
// 64-hex instance ids). It skips when Chromium is not installed.
func TestReportFitsScreens(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (Debian package chromium); the layout check needs it")
	}
	m, jobs, dumps := Sample()
	checkFits(t, chromium, "sample", Build(m, jobs, dumps))
	m, jobs, dumps = seriesIncident(hungSeries()...)
	checkFits(t, chromium, "series", Build(m, jobs, dumps))
}

// checkFits renders inc in Chromium at 1000 and 1400 px and fails when
// the page is wider than the window.
func checkFits(t *testing.T, chromium, name string, inc *Incident) {
	t.Helper()
	var buf bytes.Buffer
	if err := inc.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	// The report has no script; the check adds one that measures.
	page := strings.Replace(buf.String(), "</body>",
		`<script>document.body.setAttribute("data-overflow", String(document.documentElement.scrollWidth - document.documentElement.clientWidth))</script></body>`, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "index.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`data-overflow="(-?\d+)"`)
	for _, width := range []int{1000, 1400} {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
			"--window-size="+strconv.Itoa(width)+",1200", "--dump-dom", "file://"+path).Output()
		cancel()
		if err != nil {
			t.Fatalf("%s report, chromium at %d px: %v", name, width, err)
		}
		m := re.FindSubmatch(out)
		if m == nil {
			t.Fatalf("%s report, chromium at %d px: no measurement in the DOM", name, width)
		}
		if n, _ := strconv.Atoi(string(m[1])); n > 0 {
			t.Errorf("at %d px the %s report is %d px wider than the window", width, name, n)
		}
	}
}
