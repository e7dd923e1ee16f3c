package messages

import (
	"bytes"
	"encoding/json"
	"testing"
)

func indentSeeds() []string {
	return []string{`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[1,2,{"c":null}]}`, `"x"`, `1`, `[[[]]]`,
		`{"a\"b":"c\\","d":"{[,:]}"}`, `{"\u2028":"<&>"}`, "[\"\xff\"]"}
}

// checkIndent compares appendIndented with json.Indent on the compact form
// of data, when data is JSON.
func checkIndent(t *testing.T, data []byte) {
	var compact bytes.Buffer
	if json.Compact(&compact, data) != nil {
		return
	}
	var want bytes.Buffer
	if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
		t.Fatalf("Indent(%q): %v", compact.Bytes(), err)
	}
	if got := appendIndented(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("appendIndented(%q) =\n%s\njson.Indent:\n%s", compact.Bytes(), got, want.Bytes())
	}
}

func TestIndentMatchesJSON(t *testing.T) {
	for _, s := range indentSeeds() {
		checkIndent(t, []byte(s))
	}
	for _, p := range []Payload{sampleJob(), sampleDump(), sampleDone()} {
		b, err := Encode(New(incident, p, t0))
		if err != nil {
			t.Fatal(err)
		}
		checkIndent(t, b)
	}
}

func FuzzIndent(f *testing.F) {
	for _, s := range indentSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(checkIndent)
}
