package autoheal

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeSpan is a duration written as a .NET TimeSpan string,
// "[-][d.]hh:mm:ss[.fffffff]", the form App Service uses for timeInterval,
// timeTaken and minProcessExecutionTime ("00:05:00" is five minutes). It is
// not ISO 8601.
type TimeSpan time.Duration

// maxDays bounds the day part of a TimeSpan (about 27 years).
const maxDays = 10000

// ParseTimeSpan parses "[d.]hh:mm:ss[.fffffff]". Hours must be below 24,
// minutes and seconds below 60, at most seven fraction digits.
func ParseTimeSpan(s string) (TimeSpan, error) {
	orig := s
	bad := func(why string) (TimeSpan, error) {
		return 0, fmt.Errorf("autoheal: time span %q: %s (want [d.]hh:mm:ss[.fffffff], e.g. \"00:05:00\")", orig, why)
	}
	if s == "" {
		return bad("empty")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var days int64
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return bad("not three colon-separated fields")
	}
	if d, h, ok := strings.Cut(parts[0], "."); ok {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 {
			return bad("bad day count")
		}
		if n > maxDays {
			// time.Duration ends near 106,751 days; no auto-heal window
			// needs more than a few.
			return bad(fmt.Sprintf("more than %d days", maxDays))
		}
		days = n
		parts[0] = h
	}
	field := func(v string, max int64) (int64, bool) {
		if len(v) == 0 || len(v) > 2 {
			return 0, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && n >= 0 && n < max
	}
	hh, ok := field(parts[0], 24)
	if !ok {
		return bad("hours must be 00-23")
	}
	mm, ok := field(parts[1], 60)
	if !ok {
		return bad("minutes must be 00-59")
	}
	secPart, frac, hasFrac := strings.Cut(parts[2], ".")
	ss, ok := field(secPart, 60)
	if !ok {
		return bad("seconds must be 00-59")
	}
	var ns int64
	if hasFrac {
		if len(frac) == 0 || len(frac) > 7 {
			return bad("fraction must have 1 to 7 digits")
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return bad("bad fraction")
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(hh)*time.Hour +
		time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return TimeSpan(d), nil
}

// String formats the span as App Service does: "hh:mm:ss", with a day
// prefix and fraction only when needed.
func (t TimeSpan) String() string {
	d := time.Duration(t)
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	frac := d % time.Second
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	if days > 0 {
		out = fmt.Sprintf("%s%d.%02d:%02d:%02d", sign, days, h, m, s)
	}
	if frac > 0 {
		out += fmt.Sprintf(".%07d", frac/100)
	}
	return out
}

// Duration returns the span as a time.Duration.
func (t TimeSpan) Duration() time.Duration { return time.Duration(t) }

// MarshalJSON writes the TimeSpan string.
func (t TimeSpan) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads a TimeSpan string.
func (t *TimeSpan) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("autoheal: time span must be a string like \"00:05:00\": %w", err)
	}
	v, err := ParseTimeSpan(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}
