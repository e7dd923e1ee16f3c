package jsonconfig

import (
	"errors"
	"strings"
	"testing"
)

type conf struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestPositions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"{\n  \"name\": \"a\",\n  \"count\": \"three\"\n}", "line 3, column"},
		{"{\n  \"name\": \"a\",\n  \"cuont\": 3\n}", "line 3, column"},
		{"{\n  \"name\": \"a\"\n  \"count\": 3\n}", "line 3, column 3: invalid character"},
		{"{\"name\": \"a\"} {}", "line 1, column"},
	} {
		var c conf
		err := Decode([]byte(tc.in), &c)
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q…", tc.in, err, tc.want)
		}
	}
	var c conf
	if err := Decode([]byte(`{"name": "a", "count": 3}`), &c); err != nil || c.Count != 3 {
		t.Fatalf("%+v %v", c, err)
	}
	if err := Decode([]byte(`{"name": "a"`), &c); err == nil {
		t.Fatal("truncated file accepted")
	}
}
