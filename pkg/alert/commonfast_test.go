package alert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkCommonFast requires decodeCommonFast to either refuse data or
// decode it exactly as encoding/json does, without error.
func checkCommonFast(t *testing.T, data []byte) bool {
	t.Helper()
	var fast commonPayload[*commonContext]
	if !decodeCommonFast(data, &fast) {
		return false
	}
	if !json.Valid(data) {
		t.Fatalf("decodeCommonFast accepted invalid JSON %q", data)
	}
	var slow commonPayload[*commonContext]
	if err := decode(SourceAzureCommon, data, &slow); err != nil {
		t.Fatalf("decodeCommonFast accepted %q, encoding/json: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		fj, _ := json.Marshal(fast)
		sj, _ := json.Marshal(slow)
		t.Fatalf("decodeCommonFast(%q)\n= %s\nencoding/json %s", data, fj, sj)
	}
	return true
}

// TestCommonFastMatchesJSON runs the hand decoder on the common-schema
// fixtures (every one must take the fast path: they are what Azure
// sends) and on edge cases (which must be refused or decode the same).
func TestCommonFastMatchesJSON(t *testing.T) {
	if !checkCommonFast(t, []byte(benchCommon)) {
		t.Error("the benchmark payload took the slow path")
	}
	if fixtureDataPresent() {
		for _, path := range fixtures(t) {
			if !isCommonFixture(path) {
				continue
			}
			data := readFile(t, path)
			if !checkCommonFast(t, data) {
				t.Errorf("%s took the slow path", path)
			}
		}
	}
	for _, c := range []string{
		`{}`, `{"data":null}`, `{"schemaId":null}`, `{"schemaId":1}`, `{"data":[]}`, `{"data":{"essentials":null,"alertContext":null}}`,
		`{"data":{"essentials":{"alertId":1.5e3,"alertRule":true,"severity":null,"description":{"a":[1, 2]},"alertTargetIDs":"x"}}}`,
		`{"data":{"essentials":{"alertTargetIDs":["a",null,"",2,{"b":1}]}}}`, `{"data":{"essentials":{"alertTargetIDs":[]}}}`,
		`{"data":{"essentials":{"alertTargetIDs":null}}}`, `{"data":{"essentials":{"alertTargetIDs":""}}}`,
		`{"data":{"essentials":{"alertId":"a","ALERTID":"b"}}}`, `{"data":{"essentials":{"alertId":"a\u0062"}}}`,
		`{"data":{"essentials":{"alertId":"é"}}}`, "{\"data\":{\"essentials\":{\"alertId\":\"\xff\"}}}", `{"dätä":{}}`,
		`{"data":{"customProperties":{"a":"1","a":"2","b":null,"c":[1]}}}`, `{"data":{"customProperties":"x"}}`,
		`{"data":{"customProperties":{}}}`, `{"data":{"customProperties":[{"a":1}]}}`,
		`{"data":{"alertContext":{"condition":{"allOf":[{"dimensions":[{"name":"n","value":2}]},{"dimensions":null}]}}}}`,
		`{"data":{"alertContext":{"condition":{"allOf":[null]}}}}`, `{"data":{"alertContext":{"condition":{"allOf":{}}}}}`,
		`{"data":{"alertContext":{"Dimensions":[{"Name":"x","Value":"y"}],"properties":{"p":"q"},"labels":null}}}`,
		`{"data":{"alertContext":{"condition":"x"}}}`, `{"data":{"alertContext":{"x":{"y":{"z":[-0.5E+2,0,-1,true,false,null,"\"\\\/\b\f\n\r\t\u00e9"]}}}}}`,
		`{"data":{"alertContext":{"x":01}}}`, `{"data":{"alertContext":{"x":1.}}}`, `{"data":{"alertContext":{"x":"\x"}}}`,
		`{"data":{"alertContext":{"x":"\u00g0"}}}`, `{"data":{}} x`, `{"data":{}}  `, ` {"data":{}}`, `{"data":{},}`,
		`{"data":{"alertContext":{"a":1,"a":2}}}`, `{"data":{"essentials":{}},"DATA":{}}`, `{"data":{"alertContext":{"x":[1,]}}}`,
		"{\"data\":{\"alertContext\":{\"x\":\"a\tb\"}}}", `{"data":{"alertContext":{"x":tru}}}`, `{"data":{"alertContext":{"x":nul}}}`,
	} {
		checkCommonFast(t, []byte(c))
	}
}

func FuzzCommonFast(f *testing.F) {
	seed(f, "azure-common")
	f.Add([]byte(benchCommon))
	f.Fuzz(func(t *testing.T, data []byte) { checkCommonFast(t, data) })
}

func isCommonFixture(path string) bool {
	return filepath.Base(filepath.Dir(path)) == "azure-common"
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
