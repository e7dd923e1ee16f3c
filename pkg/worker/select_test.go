package worker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

func TestSelectOnInstance(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-time.Hour)
	all := map[int]Process{
		10: {PID: 10, Name: "w3wp", MachineName: "M1", IsSCM: true, PrivateMemory: 50, StartTime: old},
		20: {PID: 20, Name: "w3wp", MachineName: "M1", PrivateMemory: 800, StartTime: old, ChildPIDs: []int{30, 31}},
		30: {PID: 30, Name: "dotnet", MachineName: "M1", PrivateMemory: 900, StartTime: old, ParentPID: 20},
		31: {PID: 31, Name: "node", MachineName: "M1", PrivateMemory: 100, StartTime: now.Add(-10 * time.Second), ParentPID: 20},
		40: {PID: 40, Name: "w3wp", MachineName: "M1", IsWebJob: true, PrivateMemory: 10, StartTime: old},
		50: {PID: 50, Name: "php-cgi", MachineName: "M1", PrivateMemory: 2000, StartTime: old},
	}
	var list []Process
	for _, pid := range []int{10, 20, 30, 31, 40, 50} {
		p := all[pid]
		list = append(list, Process{PID: p.PID, Name: p.Name, MachineName: p.MachineName})
	}
	list = append(list, Process{PID: 0, Name: "w3wp", MachineName: "M1"})
	detail := func(_ context.Context, pid int) (Process, error) {
		p, ok := all[pid]
		if !ok {
			return Process{}, &KuduError{Kind: ErrorKindNotFound}
		}
		p.Detailed = true
		return p, nil
	}
	cases := []struct {
		name    string
		sel     messages.Selector
		want    []int
		skipped []int
	}{
		{"default is the app w3wp", messages.Selector{}, []int{20}, nil},
		{"names", messages.Selector{Names: []string{"DotNet.exe", "node"}}, []int{30, 31}, nil},
		{"names w3wp never SCM, webjob allowed when named", messages.Selector{Names: []string{"w3wp"}}, []int{20, 40}, []int{10, 0}},
		{"regex", messages.Selector{NameRegex: "^(php|dot)"}, []int{30, 50}, nil},
		{"pids", messages.Selector{PIDs: []int{30, 10}}, []int{30}, []int{10}},
		{"children", messages.Selector{Children: true}, []int{30, 31}, nil},
		{"children by name", messages.Selector{Children: true, Names: []string{"node"}}, []int{31}, nil},
		{"largest", messages.Selector{NameRegex: ".", Largest: true}, []int{50}, []int{0, 10, 20, 30, 31, 40}},
		{"min age", messages.Selector{Children: true, MinAgeSeconds: 60}, []int{30}, []int{31}},
		{"gone pid", messages.Selector{PIDs: []int{99}}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := compileSelector(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.selectOnInstance(context.Background(), "i1", list, detail, now)
			if err != nil {
				t.Fatal(err)
			}
			var pids, skipped []int
			for _, p := range got.targets {
				pids = append(pids, p.PID)
			}
			for _, r := range got.skipped {
				skipped = append(skipped, r.PID)
				if r.Reason == "" || r.Outcome != messages.OutcomeSkipped {
					t.Errorf("skip without reason: %+v", r)
				}
			}
			slices.Sort(pids)
			slices.Sort(skipped)
			slices.Sort(tc.skipped)
			if !slices.Equal(pids, tc.want) || !slices.Equal(skipped, tc.skipped) {
				t.Errorf("targets %v skipped %v, want %v and %v", pids, skipped, tc.want, tc.skipped)
			}
		})
	}
}

func TestSelectorFilters(t *testing.T) {
	s, err := compileSelector(messages.Selector{Instances: []string{"ABC"}, MachineNames: []string{"dw0001"}, MaxCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !s.wantInstance("abc") || s.wantInstance("abd") {
		t.Error("instance filter")
	}
	if !s.wantMachine([]Process{{MachineName: "DW0001"}}) || s.wantMachine([]Process{{MachineName: "DW0002"}}) {
		t.Error("machine filter")
	}
	ts := []target{{Instance: "b", Process: Process{PID: 1}}, {Instance: "a", Process: Process{PID: 2}}, {Instance: "a", Process: Process{PID: 1}}}
	keep, skipped := s.capTargets(ts)
	if len(keep) != 2 || keep[0].Instance != "a" || keep[0].PID != 1 || keep[1].PID != 2 || len(skipped) != 1 || skipped[0].Instance != "b" {
		t.Errorf("keep %+v skipped %+v", keep, skipped)
	}
	if _, err := compileSelector(messages.Selector{NameRegex: "("}); err == nil {
		t.Error("bad regex accepted")
	}
}
