package alert

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// flexString accepts a JSON string, number, boolean or null (Azure sends
// some fields, such as activity-log level or legacy severity, as either).
// Objects and arrays are kept as their raw JSON text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		if s, ok := plainString(b); ok {
			*f = flexString(s)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// plainString returns the contents of the JSON string literal b when
// decoding would not change them: no escape, no control character, valid
// UTF-8 (the test encoding/json's own unquote makes before copying as is).
// Most payload strings are plain, and this spares a decode per field.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	c := b[1 : len(b)-1]
	for _, x := range c {
		if x == '\\' || x == '"' || x < ' ' {
			return "", false
		}
	}
	if !utf8.Valid(c) {
		return "", false
	}
	return string(c), true
}

// flexStrings accepts an array of flexible values, a single string, or null.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = nil
		return nil
	}
	if b[0] != '[' {
		var s flexString
		if err := s.UnmarshalJSON(b); err != nil {
			return err
		}
		if s == "" {
			*f = nil
		} else {
			*f = []string{string(s)}
		}
		return nil
	}
	// encoding/json hands over valid JSON: split it in place, each
	// element as json.Unmarshal into []flexString would read it.
	out := make([]string, 0, 1)
	bad := false
	ok := eachElement(b, func(el []byte) {
		var it flexString
		if bad || it.UnmarshalJSON(el) != nil {
			bad = true
			return
		}
		if it != "" {
			out = append(out, string(it))
		}
	})
	if ok && !bad {
		*f = out
		return nil
	}
	var items []flexString
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out = make([]string, 0, len(items))
	for _, it := range items {
		if it != "" {
			out = append(out, string(it))
		}
	}
	*f = out
	return nil
}

// flexMap accepts an object whose values are strings, numbers, booleans,
// null or nested JSON (kept as raw text), or null, or a JSON string holding
// such an object; anything else decodes to an empty map.
type flexMap map[string]string

func (f *flexMap) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		*f = nil
		return nil
	}
	var m map[string]flexString
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	*f = out
	return nil
}

// timeLayouts are the formats seen in alert payloads (SCHEMAS.md,
// "Timestamps"), tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999", // ISO without offset: taken as UTC
	"1/2/2006 3:04:05 PM",         // US locale text (log alerts V1)
	"2006-01-02 15:04:05Z07:00",   // space instead of T
	time.RFC1123,                  // inside activity-log properties
}

// parseTime parses a timestamp in any format alert payloads use. The zero
// time "0001-01-01T00:00:00Z" parses to the zero time.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// stamp is a timestamp as sent and as parsed.
type stamp struct {
	raw string
	t   time.Time
}
