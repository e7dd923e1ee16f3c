package autoheal

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// w3cEntry is one request line of a W3C extended log, reduced to what the
// rules need (docs/autoheal.md, "Web server logs").
type w3cEntry struct {
	Request
	// Computer is s-computername ("" when the field is not logged).
	Computer string
	// SCM is set for requests to Kudu's own site (s-sitename "~1…"),
	// which in-process auto-heal of the app never sees.
	SCM bool
	// Affinity is the ARRAffinity cookie the request carried ("" if none).
	Affinity string
}

// w3cParser parses W3C extended log lines. Its state is the field layout
// of the last "#Fields:" directive: IIS writes the directives again when
// logging restarts, possibly with other fields, so the layout can change
// mid-file and no column order is assumed.
type w3cParser struct {
	idx map[string]int // field name (lower case) → column
	n   int            // number of columns
}

// w3c field names the rules use (IIS's W3C field identifiers).
const (
	fDate     = "date"
	fTime     = "time"
	fStem     = "cs-uri-stem"
	fStatus   = "sc-status"
	fSub      = "sc-substatus"
	fWin32    = "sc-win32-status"
	fTaken    = "time-taken"
	fComputer = "s-computername"
	fSite     = "s-sitename"
	fCookie   = "cs(cookie)"
)

// maxW3CFields bounds a #Fields directive (IIS logs about 30 at most).
const maxW3CFields = 128

// usedFields are the fields the rules read; a layout without one of them
// leaves some trigger unable to match (WebLogs warns).
var usedFields = []string{fDate, fTime, fStem, fStatus, fSub, fWin32, fTaken}

// missing lists the used fields the current layout lacks (nil before any
// #Fields directive).
func (p *w3cParser) missing() []string {
	if p.idx == nil {
		return nil
	}
	var out []string
	for _, f := range usedFields {
		if _, ok := p.idx[f]; !ok {
			out = append(out, f)
		}
	}
	return out
}

// reset forgets the layout (a truncated or new file starts without one).
func (p *w3cParser) reset() { p.idx, p.n = nil, 0 }

// line parses one line without its end of line. ok is false for
// directives, blank lines, lines before any #Fields directive and lines
// that do not fit the layout (wrong column count, a status or time that is
// not a number): garbage never stops the parser and never panics.
func (p *w3cParser) line(b []byte) (e w3cEntry, ok bool) {
	b = bytes.TrimRight(b, "\r")
	if len(b) == 0 {
		return e, false
	}
	if b[0] == '#' {
		if rest, found := bytes.CutPrefix(b, []byte("#Fields:")); found {
			p.fields(rest)
		}
		return e, false
	}
	if p.idx == nil {
		return e, false
	}
	// Columns are separated by single spaces; IIS writes spaces inside a
	// value as '+', and an empty value as '-'.
	var cols [maxW3CFields]string
	n := 0
	for rest := string(b); ; {
		if n == p.n {
			return e, false // more columns than the layout
		}
		v, tail, more := strings.Cut(rest, " ")
		cols[n] = v
		n++
		if !more {
			break
		}
		rest = tail
	}
	if n != p.n {
		return e, false
	}
	get := func(name string) (string, bool) {
		i, has := p.idx[name]
		if !has || cols[i] == "-" {
			return "", false
		}
		return cols[i], true
	}
	d, okd := get(fDate)
	t, okt := get(fTime)
	if !okd || !okt {
		return e, false
	}
	at, err := time.Parse("2006-01-02 15:04:05", d+" "+t) // UTC (W3C extended format)
	if err != nil {
		return e, false
	}
	e.At = at
	st, has := get(fStatus)
	if !has {
		return e, false
	}
	if e.Status, err = strconv.Atoi(st); err != nil || e.Status < 100 || e.Status > 999 {
		return e, false
	}
	num := func(name string) (int, bool) {
		v, has := get(name)
		if !has {
			return 0, true
		}
		x, err := strconv.ParseUint(v, 10, 32)
		return int(x), err == nil
	}
	var ok1, ok2, ok3 bool
	e.SubStatus, ok1 = num(fSub)
	e.Win32Status, ok2 = num(fWin32)
	ms, ok3 := num(fTaken)
	if !ok1 || !ok2 || !ok3 {
		return e, false
	}
	e.TimeTaken = time.Duration(ms) * time.Millisecond
	if stem, has := get(fStem); has {
		e.Path = strings.Clone(stem) // not the whole line: windows keep paths for minutes
	}
	if c, has := get(fComputer); has {
		e.Computer = strings.Clone(c)
	}
	if site, has := get(fSite); has && strings.HasPrefix(site, "~1") {
		e.SCM = true
	}
	if c, has := get(fCookie); has {
		e.Affinity = strings.Clone(affinityCookie(c))
	}
	return e, true
}

func (p *w3cParser) fields(rest []byte) {
	names := strings.Fields(string(rest))
	if len(names) == 0 || len(names) > maxW3CFields {
		p.reset() // unusable: skip lines until the next directive
		return
	}
	p.idx = make(map[string]int, len(names))
	for i, f := range names {
		if _, dup := p.idx[strings.ToLower(f)]; !dup {
			p.idx[strings.ToLower(f)] = i
		}
	}
	p.n = len(names)
}

// affinityCookie returns the ARRAffinity value of a logged cs(Cookie)
// ("name=value;+name=value", spaces logged as '+'), or "".
func affinityCookie(c string) string {
	for _, part := range strings.Split(c, ";") {
		k, v, ok := strings.Cut(strings.Trim(part, "+ "), "=")
		if ok && (strings.EqualFold(k, "ARRAffinity") || strings.EqualFold(k, "ARRAffinitySameSite")) && v != "" {
			return v
		}
	}
	return ""
}
