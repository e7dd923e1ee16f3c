package autoheal

import (
	"strings"
	"testing"
	"time"
)

// appServiceFields is the #Fields line of App Service's web server logs
// (docs/autoheal.md, "Web server logs").
const appServiceFields = "#Fields: date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken"

func header(fields string) string {
	return "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-01-05 06:00:00\r\n" + fields + "\r\n"
}

func collect(t *w3cTail, chunks ...string) []w3cEntry {
	var out []w3cEntry
	for _, c := range chunks {
		t.feed([]byte(c), func(e w3cEntry) { out = append(out, e) })
	}
	return out
}

func TestW3CParseAppServiceLine(t *testing.T) {
	var tl w3cTail
	got := collect(&tl, header(appServiceFields)+
		"2026-01-05 06:00:01 CONTOSO GET /api/orders id=1 443 - 10.0.0.1 Mozilla/5.0+(Windows) ARRAffinity=abc;+x=1 - contoso.azurewebsites.net 500 13 64 512 230 12345\r\n"+
		"2026-01-05 06:00:02 ~1CONTOSO GET /api/vfs/LogFiles/http/RawLogs/ - 443 - 10.0.0.2 dumpflow ARRAffinity=inst1;+ARRAffinitySameSite=inst1 - contoso.scm.azurewebsites.net 200 0 0 100 200 15\r\n")
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(got), got)
	}
	e := got[0]
	want := Request{At: time.Date(2026, 1, 5, 6, 0, 1, 0, time.UTC), Status: 500, SubStatus: 13, Win32Status: 64, Path: "/api/orders", TimeTaken: 12345 * time.Millisecond}
	if e.Request != want || e.SCM || e.Affinity != "abc" || e.Computer != "" {
		t.Fatalf("entry %+v, want %+v not SCM, affinity abc", e, want)
	}
	if !got[1].SCM || got[1].Affinity != "inst1" {
		t.Fatalf("Kudu's request: %+v, want SCM with affinity inst1", got[1])
	}
}

// The layout follows the last #Fields directive, whatever its order, and
// changes mid-file when IIS writes a new one.
func TestW3CFieldsReorderMidFile(t *testing.T) {
	var tl w3cTail
	got := collect(&tl,
		header("#Fields: date time cs-uri-stem sc-status time-taken")+
			"2026-01-05 06:00:01 /a 200 10\n"+
			header("#Fields: time-taken sc-status s-computername date time cs-uri-stem sc-substatus")+
			"2500 503 RD0001 2026-01-05 06:00:03 /b 2\n"+
			"2026-01-05 06:00:04 /c 200 10\n") // old layout after the new directive: rejected
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(got), got)
	}
	if got[0].Path != "/a" || got[0].Status != 200 || got[0].TimeTaken != 10*time.Millisecond {
		t.Errorf("first layout: %+v", got[0])
	}
	if got[1].Path != "/b" || got[1].Status != 503 || got[1].SubStatus != 2 || got[1].TimeTaken != 2500*time.Millisecond || got[1].Computer != "RD0001" {
		t.Errorf("second layout: %+v", got[1])
	}
}

func TestW3CLinesBeforeFieldsAndGarbage(t *testing.T) {
	var tl w3cTail
	got := collect(&tl,
		"2026-01-05 06:00:01 /a 200 10\n", // no #Fields yet
		"#Fields: date time cs-uri-stem sc-status time-taken\n",
		"2026-01-05 06:00:01 /a 2x0 10\n",           // status not a number
		"2026-01-05 25:00:01 /a 200 10\n",           // bad time
		"2026-01-05 06:00:01 /a 200 -5\n",           // negative time taken
		"2026-01-05 06:00:01 /a 200\n",              // too few columns
		"2026-01-05 06:00:01 /a 200 10 x\n",         // too many columns
		"- 06:00:01 /a 200 10\n",                    // no date
		"#Fields:\n2026-01-05 06:00:01 /a 200 10\n", // empty layout: skip until the next
	)
	if len(got) != 0 {
		t.Fatalf("garbage parsed: %+v", got)
	}
}

// A line cut by a read boundary is parsed once, whole, on the read that
// finishes it.
func TestW3CTailPartialLine(t *testing.T) {
	var tl w3cTail
	line := "2026-01-05 06:00:01 /slow 200 9000\n"
	got := collect(&tl, "#Fields: date time cs-uri-stem sc-status time-taken\n"+line[:17])
	if len(got) != 0 {
		t.Fatalf("partial line parsed early: %+v", got)
	}
	got = collect(&tl, line[17:30])
	if len(got) != 0 {
		t.Fatalf("partial line parsed early: %+v", got)
	}
	got = collect(&tl, line[30:])
	if len(got) != 1 || got[0].Path != "/slow" || got[0].TimeTaken != 9*time.Second {
		t.Fatalf("joined line: %+v", got)
	}
	if tl.off != int64(len("#Fields: date time cs-uri-stem sc-status time-taken\n")+len(line)) {
		t.Fatalf("offset %d", tl.off)
	}
}

// An overlong line is dropped whole; the tail holds at most maxW3CLine.
func TestW3CTailOverlongLine(t *testing.T) {
	var tl w3cTail
	collect(&tl, "#Fields: date time cs-uri-stem sc-status time-taken\n")
	long := "2026-01-05 06:00:01 /" + strings.Repeat("x", maxW3CLine) + " 200 10"
	got := collect(&tl, long[:maxW3CLine/2], long[maxW3CLine/2:], "\n2026-01-05 06:00:02 /ok 200 10\n")
	if len(tl.partial) != 0 || len(got) != 1 || got[0].Path != "/ok" {
		t.Fatalf("after an overlong line: %+v (partial %d bytes)", got, len(tl.partial))
	}
}

func TestW3CTailRestart(t *testing.T) {
	var tl w3cTail
	collect(&tl, "#Fields: date time cs-uri-stem sc-status time-taken\n2026-01-05 06:00:01 /a 200 10\n2026-01-05")
	tl.restart()
	if tl.off != 0 || tl.partial != nil || tl.parser.idx != nil {
		t.Fatalf("restart kept state: %+v", tl)
	}
	// After a restart a file without its header yields nothing until one.
	if got := collect(&tl, "2026-01-05 06:00:01 /a 200 10\n"); len(got) != 0 {
		t.Fatalf("parsed without a layout: %+v", got)
	}
}

func TestAffinityCookie(t *testing.T) {
	for in, want := range map[string]string{
		"ARRAffinity=abc":              "abc",
		"x=1;+ARRAffinitySameSite=def": "def",
		"x=1;+y=2":                     "",
		"ARRAffinity=":                 "",
		"arraffinity=ghi;+ARRAffinitySameSite=ghi": "ghi",
	} {
		if got := affinityCookie(in); got != want {
			t.Errorf("affinityCookie(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzW3CTail(f *testing.F) {
	f.Add([]byte(header(appServiceFields)+"2026-01-05 06:00:01 CONTOSO GET /a - 443 - 1.2.3.4 ua - - h 200 0 0 1 2 3\n"), 7)
	f.Add([]byte("#Fields: date time sc-status\n2026-01-05 06:00:01 200\n#Fields: \n\n\r\n"), 1)
	f.Add([]byte("#Fields: "+strings.Repeat("x ", 200)+"\n"), 3)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		var whole, split w3cTail
		var a, b []w3cEntry
		whole.feed(data, func(e w3cEntry) { a = append(a, e) })
		if cut < 0 {
			cut = -cut
		}
		if len(data) > 0 {
			cut %= len(data) + 1
		} else {
			cut = 0
		}
		split.feed(data[:cut], func(e w3cEntry) { b = append(b, e) })
		split.feed(data[cut:], func(e w3cEntry) { b = append(b, e) })
		// Where a read boundary falls never changes what is parsed.
		if len(a) != len(b) {
			t.Fatalf("whole read gave %d entries, split at %d gave %d", len(a), cut, len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("entry %d differs: %+v vs %+v", i, a[i], b[i])
			}
		}
		if whole.off != int64(len(data)) || len(whole.partial) > maxW3CLine {
			t.Fatalf("offset %d of %d, partial %d", whole.off, len(data), len(whole.partial))
		}
	})
}

func TestW3CMissingFields(t *testing.T) {
	var p w3cParser
	if p.missing() != nil {
		t.Fatal("missing fields before any layout")
	}
	p.line([]byte(appServiceFields))
	if m := p.missing(); len(m) != 0 {
		t.Fatalf("App Service's layout lacks %v", m)
	}
	p.line([]byte("#Fields: date time cs-uri-stem sc-status"))
	if m := strings.Join(p.missing(), " "); m != "sc-substatus sc-win32-status time-taken" {
		t.Fatalf("missing %q", m)
	}
}
