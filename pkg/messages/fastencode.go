package messages

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The capture path encodes a CaptureJob envelope and a Manifest for every
// incident. These functions write them without reflection, byte for byte
// as encoding/json does (field order, omitempty, HTML-safe string
// escaping, RFC 3339 times): Encode and EncodeManifest use them, and
// fastencode_test.go checks them against json.Marshal with every field
// set, with none set and with fuzzed values, and fails when a field is
// added to one of these types and not here. Any value encoding/json would
// refuse (a time outside years 0-9999) makes them report !ok, and the
// caller falls back to encoding/json, errors and all.

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding with HTML escaping.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// encoder appends JSON members; ok turns false on a value encoding/json
// would refuse.
type encoder struct {
	b  []byte
	ok bool
}

// key appends the member name (a constant that needs no escaping) with
// its comma.
func (e *encoder) key(first bool, name string) {
	if !first {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, name...)
	e.b = append(e.b, '"', ':')
}

func (e *encoder) str(first bool, name, v string) {
	e.key(first, name)
	e.b = appendString(e.b, v)
}

// strOmit is a string member with omitempty.
func (e *encoder) strOmit(name, v string) {
	if v != "" {
		e.str(false, name, v)
	}
}

func (e *encoder) time(first bool, name string, t time.Time) {
	e.key(first, name)
	e.b = append(e.b, '"')
	b, err := t.AppendText(e.b)
	if err != nil {
		e.ok = false
		return
	}
	e.b = append(b, '"')
}

func (e *encoder) int(first bool, name string, v int) {
	e.key(first, name)
	e.b = strconv.AppendInt(e.b, int64(v), 10)
}

// boolOmit is a bool member with omitempty.
func (e *encoder) boolOmit(name string, v bool) {
	if v {
		e.key(false, name)
		e.b = append(e.b, "true"...)
	}
}

// strings appends a []string member with omitempty.
func (e *encoder) stringsOmit(name string, vs []string) {
	if len(vs) == 0 {
		return
	}
	e.key(false, name)
	e.b = append(e.b, '[')
	for i, v := range vs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendString(e.b, v)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) site(s *Site) {
	e.b = append(e.b, '{')
	e.str(true, "resource_id", s.ResourceID)
	e.str(false, "subscription_id", s.SubscriptionID)
	e.str(false, "resource_group", s.ResourceGroup)
	e.str(false, "name", s.Name)
	e.strOmit("slot", s.Slot)
	e.b = append(e.b, '}')
}

func (e *encoder) trigger(t *Trigger) {
	e.b = append(e.b, '{')
	e.str(true, "kind", t.Kind)
	e.strOmit("source", t.Source)
	e.strOmit("rule", t.Rule)
	e.strOmit("alert_id", t.AlertID)
	e.strOmit("severity", t.Severity)
	e.time(false, "fired_at", t.FiredAt)
	e.strOmit("reason", t.Reason)
	e.b = append(e.b, '}')
}

func (e *encoder) action(a *Action) {
	e.b = append(e.b, '{')
	e.str(true, "dump_type", a.DumpType)
	e.boolOmit("kill", a.Kill)
	e.strOmit("strategy", a.Strategy)
	e.boolOmit("analyze", a.Analyze)
	e.b = append(e.b, '}')
}

func (e *encoder) selector(s *Selector) {
	e.b = append(e.b, '{')
	// Every member is omitempty: the first one written has no comma.
	start := len(e.b)
	e.stringsOmit("names", s.Names)
	e.strOmit("name_regex", s.NameRegex)
	if len(s.PIDs) > 0 {
		e.key(false, "pids")
		e.b = append(e.b, '[')
		for i, p := range s.PIDs {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = strconv.AppendInt(e.b, int64(p), 10)
		}
		e.b = append(e.b, ']')
	}
	e.boolOmit("children", s.Children)
	e.boolOmit("largest", s.Largest)
	if s.MinAgeSeconds != 0 {
		e.int(false, "min_age_seconds", s.MinAgeSeconds)
	}
	e.stringsOmit("instances", s.Instances)
	e.stringsOmit("machine_names", s.MachineNames)
	if s.MaxCount != 0 {
		e.int(false, "max_count", s.MaxCount)
	}
	if len(e.b) > start {
		e.b = append(e.b[:start], e.b[start+1:]...) // the first member's comma
	}
	e.b = append(e.b, '}')
}

func (e *encoder) captureJob(j *CaptureJob) {
	e.b = append(e.b, '{')
	e.str(true, "job_id", j.JobID)
	e.str(false, "incident_id", j.IncidentID)
	e.key(false, "site")
	e.site(&j.Site)
	e.time(false, "incident_time", j.IncidentTime)
	e.key(false, "trigger")
	e.trigger(&j.Trigger)
	e.key(false, "action")
	e.action(&j.Action)
	e.key(false, "selector")
	e.selector(&j.Selector)
	e.b = append(e.b, '}')
}

// appendJobEnvelope appends the wire form of an envelope around job.
func appendJobEnvelope(dst []byte, env *Envelope, job *CaptureJob) ([]byte, bool) {
	e := encoder{b: dst, ok: true}
	e.b = append(e.b, '{')
	e.str(true, "type", env.Type)
	e.int(false, "version", env.Version)
	e.str(false, "id", env.ID)
	e.str(false, "incident_id", env.IncidentID)
	e.strOmit("traceparent", env.TraceParent)
	e.time(false, "created_at", env.CreatedAt)
	e.key(false, "payload")
	e.captureJob(job)
	e.b = append(e.b, '}')
	return e.b, e.ok
}

// appendManifest appends the compact form of m.
func appendManifest(dst []byte, m *Manifest) ([]byte, bool) {
	e := encoder{b: dst, ok: true}
	e.b = append(e.b, '{')
	e.int(true, "version", m.Version)
	e.str(false, "incident_id", m.IncidentID)
	e.time(false, "created_at", m.CreatedAt)
	e.key(false, "trigger")
	e.trigger(&m.Trigger)
	e.key(false, "action")
	e.action(&m.Action)
	e.key(false, "selector")
	e.selector(&m.Selector)
	e.key(false, "jobs")
	if m.Jobs == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i := range m.Jobs {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, '{')
			e.str(true, "job_id", m.Jobs[i].JobID)
			e.key(false, "site")
			e.site(&m.Jobs[i].Site)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.strOmit("policy", m.Policy)
	e.b = append(e.b, '}')
	return e.b, e.ok
}
