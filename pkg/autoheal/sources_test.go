package autoheal

import "testing"

func TestSourceNotes(t *testing.T) {
	f, err := ParseFile([]byte(`{"rules":[{"name":"r","triggers":{
		"privateBytesInKB":1000,
		"slowRequestsWithPath":[{"timeTaken":"00:00:10","path":"/api/*","count":5,"timeInterval":"00:01:00"}],
		"statusCodes":[{"status":500,"count":1,"timeInterval":"00:01:00"},{"status":503,"count":1,"timeInterval":"00:01:00"},
		               {"status":500,"subStatus":13,"count":1,"timeInterval":"00:01:00"}],
		"statusCodesRange":[{"statusCodes":"500-599","count":1,"timeInterval":"00:01:00"},{"statusCodes":"502-504","count":1,"timeInterval":"00:01:00"},
		                    {"statusCodes":"400-500","count":1,"timeInterval":"00:01:00"}]},
		"action":{"kind":"log"}}],
		"cpuRules":[{"name":"c","mode":"Collect","cpuThreshold":90,"thresholdSeconds":30,"monitorDuration":10}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		source string
		never  bool
	}{
		"privateBytesInKB":        {SourceMemoryWatch, false},
		"slowRequestsWithPath[0]": {SourceMetrics, true},
		"statusCodes[0]":          {SourceMetrics, false},
		"statusCodes[1]":          {SourceMetrics, true},
		"statusCodes[2]":          {SourceMetrics, true},
		"statusCodesRange[0]":     {SourceMetrics, false},
		"statusCodesRange[1]":     {SourceMetrics, true},
		"statusCodesRange[2]":     {SourceMetrics, false},
		"cpu":                     {SourceCPUWatch, false},
	}
	notes := f.SourceNotes()
	if len(notes) != len(want) {
		t.Fatalf("%d notes, want %d: %+v", len(notes), len(want), notes)
	}
	for _, n := range notes {
		w, ok := want[n.Trigger]
		if !ok || n.Source != w.source || n.Never != w.never {
			t.Errorf("%s: got %+v, want source %q never %v", n.Trigger, n, w.source, w.never)
		}
		if n.Never && n.Note == "" {
			t.Errorf("%s never fires without saying why", n.Trigger)
		}
	}
}
