package alert

import (
	"encoding/json"
	"reflect"
	"strings"
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

// referenceFlexStrings is flexStrings' decoding of an array as it was:
// through encoding/json.
func referenceFlexStrings(b []byte) ([]string, error) {
	var items []flexString
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it != "" {
			out = append(out, string(it))
		}
	}
	return out, nil
}

// FuzzFlexStrings checks flexStrings' in-place split of arrays against
// encoding/json on every valid JSON array.
func FuzzFlexStrings(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["a", null, 1, true, {"x": [1]}, [2], "b\"c", ""]`, " [ \"\u00e9\" , \"\\u00e9\" ] ", "[\"\xff\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || data[firstNonSpace(data)] != '[' {
			return
		}
		want, werr := referenceFlexStrings(data)
		var got flexStrings
		err := got.UnmarshalJSON(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("UnmarshalJSON(%q) error %v, reference %v", data, err, werr)
		}
		if err == nil && !reflect.DeepEqual([]string(got), want) {
			t.Fatalf("UnmarshalJSON(%q) = %q, reference %q", data, got, want)
		}
	})
}

func firstNonSpace(b []byte) int {
	i := skipSpace(b, 0)
	return min(i, len(b)-1)
}

// FuzzIsARMID checks isARMID against the lowercased copy it avoids.
func FuzzIsARMID(f *testing.F) {
	for _, s := range []string{"", "/subscriptions/", "/SUBSCRIPTIONS/x", "/subscrİptions/x", "/subscriptions", "x/subscriptions/", "/ſubscriptions/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isARMID(s), strings.HasPrefix(strings.ToLower(s), "/subscriptions/"); got != want {
			t.Fatalf("isARMID(%q) = %v, want %v", s, got, want)
		}
	})
}
