package autoheal

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzParseFile: a rules file never panics the parser; a file that parses
// normalizes to a file that parses again, and its CPU rules validate.
func FuzzParseFile(f *testing.F) {
	if data, err := os.ReadFile("../../docs/autoheal.example.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"rules":[],"cpuRules":[{"name":"c","sites":["/s"],"mode":"Kill","cpuThreshold":50,"thresholdSeconds":15,"monitorDuration":5,"maxActions":20,"processWarmupTime":"00:01:00"}]}`))
	f.Add([]byte(`{"rules":[],"cpuRules":[{"name":"c","mode":"Collect","cpuThreshold":101}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data)
		if err != nil {
			return
		}
		for i := range file.CPURules {
			r := file.CPURules[i]
			if err := r.Validate(); err != nil {
				t.Fatalf("parsed CPU rule does not validate: %v", err)
			}
			if r.Hours() <= 0 {
				t.Fatalf("hours %v", r.Hours())
			}
			_, _ = r.Action()
		}
		out, err := json.Marshal(file.Normalized())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFile(out); err != nil {
			t.Fatalf("normalized file does not parse: %v\n%s", err, out)
		}
		_ = NewEvaluator(file)
	})
}
