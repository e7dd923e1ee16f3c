package kudu

import (
	"testing"
)

// FuzzParseProcess feeds arbitrary bytes to the ProcessInfo decoder (plain,
// ARM envelope, lists): it must return an error or a value, never panic.
func FuzzParseProcess(f *testing.F) {
	for _, s := range []string{docList, docDetail, docSCMDetail, docARMDetail, docARMDetailIdentifier, `{"value":[]}`, `{"id":1,"total_cpu_time":"1.02:03:04.5"}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseProcess(data)
		if err == nil && p == nil {
			t.Fatal("nil process without error")
		}
		items, _, err := unwrapList(data)
		if err == nil {
			for _, it := range items {
				_, _ = parseProcess(it)
			}
		}
	})
}

// FuzzParseText covers the hand-written text parsers.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"00:01:02.5000000", "-1.00:00:00", "bytes 0-9/10", "https://h/api/processes/4120", "2025-03-01T10:15:30.1234567Z", docHTML401, doc404} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseTimeSpan(s); err == nil && s != "" && s[0] != '-' && d < 0 {
			t.Fatalf("parseTimeSpan(%q) = %v: negative without sign", s, d)
		}
		if a, total, err := parseContentRange(s); err == nil && (a < 0 || a >= total) {
			t.Fatalf("parseContentRange(%q) = %d/%d", s, a, total)
		}
		_, _ = pidFromURL(s)
		_, _ = parseDotNetTime(s)
		_, _ = parseErrorBody("text/html", []byte(s))
		_ = dispositionName(s)
		_, _ = stagedName(1, s)
		_, _ = ParseSiteID(s)
	})
}
