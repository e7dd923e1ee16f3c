package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// referenceDetect is the detection Parse used before it scanned instead of
// decoding: the top level decoded into a map, lowercased, and nested
// members decoded again. It is the oracle of the differential tests below.
func referenceDetect(data []byte) (string, error) {
	top, err := referenceTopLevel(data)
	if err != nil {
		return "", err
	}
	if raw, ok := top["schemaid"]; ok {
		var id flexString
		_ = json.Unmarshal(raw, &id)
		return schemaSource(string(id))
	}
	if refHas(top, "alertrulename") || refHas(top, "searchquery") || refHas(top, "workspaceid") {
		return SourceAzureLogLegacy, nil
	}
	if raw, ok := top["data"]; ok {
		var d map[string]json.RawMessage
		if json.Unmarshal(raw, &d) == nil && refHas(refLowerKeys(d), "alertrulename") {
			return SourceAzureLogLegacy, nil
		}
	}
	if raw, ok := top["alerts"]; ok && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '[' {
		if referenceIsGrafana(top) {
			return SourceGrafana, nil
		}
		return SourceAlertmanager, nil
	}
	if refHas(top, "status") && refHas(top, "context") {
		var c map[string]json.RawMessage
		if json.Unmarshal(top["context"], &c) == nil {
			lc := refLowerKeys(c)
			if refHas(lc, "id") || refHas(lc, "name") || refHas(lc, "conditiontype") {
				return SourceAzureClassic, nil
			}
		}
	}
	return "", &UnknownShapeError{Tried: []string{
		SourceAzureCommon, SourceAzureMetricLegacy, SourceAzureActivityLog, SourceAzureLogLegacy,
		SourceAzureClassic, SourceAlertmanager, SourceGrafana,
	}}
}

func referenceIsGrafana(top map[string]json.RawMessage) bool {
	if refHas(top, "orgid") {
		return true
	}
	var v flexString
	if raw, ok := top["version"]; ok && json.Unmarshal(raw, &v) == nil && v == "1" {
		return true
	}
	var alerts []map[string]json.RawMessage
	if json.Unmarshal(top["alerts"], &alerts) != nil {
		return false
	}
	for _, a := range alerts {
		la := refLowerKeys(a)
		if refHas(la, "values") || refHas(la, "silenceurl") {
			return true
		}
	}
	return false
}

func referenceTopLevel(data []byte) (map[string]json.RawMessage, error) {
	if len(data) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), MaxPayloadSize)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		if err := checkSingleValue(data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	return refLowerKeys(top), nil
}

// refLowerKeys lowercases keys; which of two keys that differ only in
// case wins is undefined (map order), so the differential tests skip
// payloads with such keys at the top level.
func refLowerKeys(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; !dup {
			out[lk] = v
		}
	}
	return out
}

func refHas(m map[string]json.RawMessage, key string) bool {
	v, ok := m[key]
	return ok && len(v) > 0
}

// referenceParse is Parse as it was: validate and detect, then parse.
func referenceParse(data []byte) (*Alert, error) {
	src, err := referenceDetect(data)
	if err != nil {
		return nil, err
	}
	return parsers[src](data)
}

// referenceParseAs is ParseAs as it was.
func referenceParseAs(source string, data []byte) (*Alert, error) {
	c, ok := CanonicalSource(source)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownSource, source, strings.Join(Sources(), ", "))
	}
	if _, err := referenceTopLevel(data); err != nil {
		return nil, err
	}
	return parsers[c](data)
}

// caseCollision reports whether data is an object with two top-level keys
// that lowercase alike (where the reference is not deterministic).
func caseCollision(data []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	return len(refLowerKeys(m)) != len(m)
}

// sameOutcome fails t unless both parses agree: equal alerts, or errors
// with the same text and the same classification.
func sameOutcome(t *testing.T, what string, data []byte, a *Alert, err error, ra *Alert, rerr error) {
	t.Helper()
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%s(%q): error %v, reference error %v", what, data, err, rerr)
	}
	if err != nil {
		if err.Error() != rerr.Error() {
			t.Fatalf("%s(%q): error %q, reference %q", what, data, err, rerr)
		}
		var s1, s2 *UnknownShapeError
		var f1, f2 *FieldError
		if errors.Is(err, ErrMalformed) != errors.Is(rerr, ErrMalformed) ||
			errors.As(err, &s1) != errors.As(rerr, &s2) || errors.As(err, &f1) != errors.As(rerr, &f2) {
			t.Fatalf("%s(%q): error %v classified differently from the reference", what, data, err)
		}
		return
	}
	if !reflect.DeepEqual(a, ra) {
		t.Fatalf("%s(%q):\n got %+v\nwant %+v", what, data, a, ra)
	}
}

// repeatedContext reports whether data repeats alertContext in its data
// members, where the one-pass decode merges what the reference replaced.
func repeatedContext(data []byte) bool {
	n := 0
	eachMember(data, func(key, val []byte) {
		if keyIs(key, "data") {
			eachMember(val, func(k, _ []byte) {
				if keyIs(k, "alertcontext") {
					n++
				}
			})
		}
	})
	return n > 1
}

// differential checks Parse, ParseAs and Detect against the reference.
func differential(t *testing.T, data []byte) {
	if caseCollision(data) || repeatedContext(data) {
		return
	}
	a, err := Parse(data)
	ra, rerr := referenceParse(data)
	sameOutcome(t, "Parse", data, a, err, ra, rerr)
	src, err := Detect(data)
	rsrc, rerr := referenceDetect(data)
	if src != rsrc || (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
		t.Fatalf("Detect(%q) = %q, %v; reference %q, %v", data, src, err, rsrc, rerr)
	}
	for _, s := range []string{SourceAzureCommon, SourceAlertmanager, SourceAzureLogLegacy} {
		a, err := ParseAs(s, data)
		ra, rerr := referenceParseAs(s, data)
		sameOutcome(t, "ParseAs "+s, data, a, err, ra, rerr)
	}
}

// TestDetectMatchesReference runs the differential check on every fixture
// and on hand-made edge cases of detection and of the scan.
func TestDetectMatchesReference(t *testing.T) {
	cases := []string{
		``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `}`, `{}`, ` {} `, `{} {}`, `{}x`, `{"a":1,}`, `{"a" 1}`, `{"a":}`,
		`{"a":[1,2}`, `{"a":"\"}`, `{"a":"\\"}`, `{"schemaId":null}`, `{"schemaId":7}`, `{"SCHEMAID":"azuremonitorcommonalertschema"}`,
		`{"schem\u0061Id":"AzureMonitorMetricAlert"}`, `{"schemaId":"Microsoft.Insights\/activityLogs"}`,
		`{"data":null}`, `{"data":{"AlertRuleName":"r"}}`, `{"data":[{"alertrulename":1}]}`, `{"data":"{\"alertRuleName\":1}"}`,
		`{"alerts":[]}`, `{"alerts":{}}`, `{"alerts":[null]}`, `{"alerts":[{"values":1}]}`, `{"alerts":[1,{"values":1}]}`,
		`{"alerts":[{"silenceURL":"x"},2]}`, `{"alerts":[{}],"version":1}`, `{"alerts":[{}],"version":"1"}`, `{"alerts":[{}],"orgId":null}`,
		`{"status":"x","context":{"ID":1}}`, `{"status":"x","context":null}`, `{"status":"x","context":[{"id":1}]}`,
		`{"status":"x","context":{"conditionType":1},"SearchQuery":"q"}`, `{"workspaceId":"w","schemaId":"x"}`,
		`{"ſchemaid":"azureMonitorCommonAlertSchema"}`, `{"\u212Aey":1}`, `{"data":{"alertrulenamE":"x"}}`, `{"a":tru,"alerts":[]}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a\u00e9","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z","x":01}}}`,
		"{\"schemaId\":\"azureMonitorCommonAlertSchema\",\"data\":{\"essentials\":{\"alertId\":\"a\xff\",\"monitorCondition\":\"Fired\",\"firedDateTime\":\"2020-01-01T00:00:00Z\"}}}",
		benchCommon, benchCommon + " ", benchCommon + "}",
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"},"alertContext":{"properties":{"p":"1"},"condition":{"allOf":[{"dimensions":{}}]}}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"alertContext":{"condition":"x"},"essentials":{"alertId":[],"monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"alertContext":[1],"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"},"customProperties":{"c":"2"}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"alertContext":null,"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"},"ALERTCONTEXT":{"Dimensions":[{"name":"n","value":1}],"labels":{"l":true}}}}`,
		`{"schemaId":"azureMonitorCommonAlertSchema","data":{"alertContext":{"condition":7},"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z"}},"data":null}`,
	}
	for _, c := range cases {
		differential(t, []byte(c))
	}
	if fixtureDataPresent() {
		for _, data := range readFixtures(t) {
			differential(t, data)
		}
	}
}

// FuzzDetectReference compares Parse, ParseAs and Detect with the
// reference implementation on arbitrary input.
func FuzzDetectReference(f *testing.F) {
	seed(f, "")
	f.Fuzz(func(t *testing.T, data []byte) { differential(t, data) })
}

// FuzzScan checks the scanner against encoding/json: every valid object
// (or array) splits into the members (elements) a decoder reads.
func FuzzScan(f *testing.F) {
	seed(f, "")
	f.Add([]byte(`[1, "a\"]", {"b": [2]}, null]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			eachMember(data, func(_, _ []byte) {}) // must not panic
			eachElement(data, func([]byte) {})
			return
		}
		var keys []string
		var vals [][]byte
		var obj map[string]json.RawMessage
		var arr []json.RawMessage
		switch {
		case json.Unmarshal(data, &obj) == nil && obj != nil:
			ok := eachMember(data, func(k, v []byte) {
				var s string
				if err := json.Unmarshal(k, &s); err != nil {
					t.Fatalf("key %q: %v", k, err)
				}
				keys, vals = append(keys, s), append(vals, v)
			})
			if !ok {
				t.Fatalf("valid object %q did not scan", data)
			}
			for i, k := range keys {
				if !keyIs([]byte(mustQuote(k)), strings.ToLower(k)) {
					t.Fatalf("keyIs(%q, %q) is false", k, strings.ToLower(k))
				}
				// The last value of a key is the one a decoder keeps.
				if last := lastIndex(keys, k); last == i && !bytes.Equal(vals[i], obj[k]) {
					t.Fatalf("member %q = %q, decoder %q", k, vals[i], obj[k])
				}
			}
		case json.Unmarshal(data, &arr) == nil && arr != nil:
			ok := eachElement(data, func(v []byte) { vals = append(vals, v) })
			if !ok || len(vals) != len(arr) {
				t.Fatalf("valid array %q: ok %v, %d elements, decoder %d", data, ok, len(vals), len(arr))
			}
			for i := range arr {
				if !bytes.Equal(vals[i], arr[i]) {
					t.Fatalf("element %d = %q, decoder %q", i, vals[i], arr[i])
				}
			}
		}
	})
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

func fixtureDataPresent() bool {
	_, err := os.Stat(fixturesDir)
	return err == nil
}

// readFixtures returns every fixture payload (TestFixtures reports their
// absence).
func readFixtures(t *testing.T) [][]byte {
	var out [][]byte
	for _, p := range fixtures(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}
