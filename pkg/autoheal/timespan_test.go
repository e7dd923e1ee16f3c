package autoheal

import (
	"testing"
	"time"
)

func TestParseTimeSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"00:05:00", 5 * time.Minute},
		{"00:00:30", 30 * time.Second},
		{"1.02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second},
		{"00:01:02.5000000", time.Minute + 2500*time.Millisecond},
		{"00:00:00.1", 100 * time.Millisecond},
		{"-00:00:01", -time.Second},
	} {
		got, err := ParseTimeSpan(tc.in)
		if err != nil || got.Duration() != tc.want {
			t.Errorf("ParseTimeSpan(%q) = %v, %v; want %v", tc.in, got.Duration(), err, tc.want)
		}
		back, err := ParseTimeSpan(got.String())
		if err != nil || back != got {
			t.Errorf("String round trip of %q: %q, %v", tc.in, got.String(), err)
		}
	}
	for _, bad := range []string{"", "PT5M", "5m", "00:60:00", "24:00:00", "00:00", "00:00:00.12345678", "a.00:00:00", "00:-1:00", "00:00:5x"} {
		if _, err := ParseTimeSpan(bad); err == nil {
			t.Errorf("ParseTimeSpan(%q) succeeded", bad)
		}
	}
}

func FuzzParseTimeSpan(f *testing.F) {
	for _, s := range []string{"00:05:00", "1.02:03:04.1234567", "-00:00:01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTimeSpan(s)
		if err != nil {
			return
		}
		back, err := ParseTimeSpan(v.String())
		if err != nil || back != v {
			t.Fatalf("%q parsed to %v, formatted %q, reparsed %v %v", s, v, v.String(), back, err)
		}
	})
}
