package alert

import (
	"encoding/json"
	"testing"
)

// FuzzFlexString checks flexString's shortcut for plain strings against
// encoding/json: every valid JSON string decodes to the same text.
func FuzzFlexString(f *testing.F) {
	for _, s := range []string{`""`, `"abc"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", "\"\xed\xa0\x80\"", `"é"`, "\"a\tb\"", `"\ufffd"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil {
			plainString(data) // must not panic
			return
		}
		var got flexString
		if err := got.UnmarshalJSON(data); err != nil {
			t.Fatalf("UnmarshalJSON(%q): %v", data, err)
		}
		if string(got) != want {
			t.Fatalf("UnmarshalJSON(%q) = %q, encoding/json %q", data, got, want)
		}
	})
}
