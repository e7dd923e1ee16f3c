package kudu

import (
	"testing"
	"time"
)

func TestParseTimeSpan(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":                 0,
		"00:01:02.5000000": time.Minute + 2500*time.Millisecond,
		"1.02:03:04":       26*time.Hour + 3*time.Minute + 4*time.Second,
		"-00:00:01":        -time.Second,
		"00:00:00.0000001": 100 * time.Nanosecond,
	} {
		got, err := parseTimeSpan(in)
		if err != nil || got != want {
			t.Errorf("parseTimeSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"1:2", "24:00:00", "00:60:00", "00:00:00.12345678", "x.00:00:00", "00:00:+1", "10675199.02:48:05", "00:00:00.-1"} {
		if _, err := parseTimeSpan(bad); err == nil {
			t.Errorf("parseTimeSpan(%q) accepted", bad)
		}
	}
}

func TestParseDotNetTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2025-03-01T10:15:30.1234567Z":      time.Date(2025, 3, 1, 10, 15, 30, 123456700, time.UTC),
		"2025-03-01T10:15:30.1234567+00:00": time.Date(2025, 3, 1, 10, 15, 30, 123456700, time.UTC),
		"2025-03-01T10:15:30":               time.Date(2025, 3, 1, 10, 15, 30, 0, time.UTC),
		"":                                  {},
	} {
		got, err := parseDotNetTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseDotNetTime(%q) = %v, %v", in, got, err)
		}
	}
}

func TestPidFromURLAndContentRange(t *testing.T) {
	for in, want := range map[string]int{"https://h/api/processes/4120": 4120, "https://h/api/processes/0": 0, "/api/processes/77/": 77} {
		if got, err := pidFromURL(in); err != nil || got != want {
			t.Errorf("pidFromURL(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"https://h/api/processes/", "https://h/x/abc", "https://h/api/processes/-9", "%zz"} {
		if _, err := pidFromURL(bad); err == nil {
			t.Errorf("pidFromURL(%q) accepted", bad)
		}
	}
	if s, total, err := parseContentRange("bytes 100-199/1000"); err != nil || s != 100 || total != 1000 {
		t.Fatalf("%d %d %v", s, total, err)
	}
	for _, bad := range []string{"", "bytes */1000", "bytes 5-4/10", "bytes 0-10/10", "items 0-1/2"} {
		if _, _, err := parseContentRange(bad); err == nil {
			t.Errorf("parseContentRange(%q) accepted", bad)
		}
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"attachment; filename=w3wp-8d3f0a-04-15-13-22-05.dmp": "w3wp-8d3f0a-04-15-13-22-05.dmp",
		`attachment; filename="..\..\evil.dmp"`:               "evil.dmp",
		"attachment; filename=..":                             "",
		"":                                                    "",
		"garbage;;":                                           "",
	} {
		if got := dispositionName(in); got != want {
			t.Errorf("dispositionName(%q) = %q, want %q", in, got, want)
		}
	}
}
