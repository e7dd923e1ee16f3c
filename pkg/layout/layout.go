// Package layout names every blob dumpflow stores (docs/design.md, "Blob
// layout"). All services compute keys here so that they agree, and so that a
// redelivered message computes the same key as the first delivery.
//
//	incidents/{incident}/manifest.json
//	incidents/{incident}/jobs/{site}.json
//	dumps/{yyyy-mm-dd}/{incident}/{site}/{instance}/{process}-{pid}.dmp
//	dumps/{yyyy-mm-dd}/{incident}/{site}/{instance}/{process}-{pid}.{n}.dmp   (dump n of a series)
//	reports/{incident}/dumps/{site}/{instance}/{process}-{pid}.json
//	reports/{incident}/dumps/{site}/{instance}/{process}-{pid}.{n}.json
//	reports/{incident}/index.html | index.md | index.json
//	locks/sites/{site}
package layout

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxSegment bounds the length of one path segment.
const MaxSegment = 96

// Segment makes s safe as one path segment: no '/', '\\', control
// characters or spaces, never "", "." or "..", at most MaxSegment bytes.
// Distinct inputs may map to the same segment only if they differ in those
// characters alone.
func Segment(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '/' || r == '\\' || r == ':' || unicode.IsControl(r) || unicode.IsSpace(r):
			b.WriteByte('_')
		case r > unicode.MaxASCII:
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
		if b.Len() >= MaxSegment {
			break
		}
	}
	out := b.String()
	if len(out) > MaxSegment {
		out = out[:MaxSegment]
	}
	if strings.Trim(out, ".") == "" {
		out = "_" + out
	}
	return out
}

// ManifestKey is where ingest stores an incident's manifest.
func ManifestKey(incident string) string {
	return "incidents/" + Segment(incident) + "/manifest.json"
}

// JobPrefix is the prefix under which completed jobs of an incident lie.
func JobPrefix(incident string) string {
	return "incidents/" + Segment(incident) + "/jobs/"
}

// JobKey is where the analyzer stores a JobCompleted as received.
func JobKey(incident, site string) string {
	return JobPrefix(incident) + Segment(site) + ".json"
}

// DumpKey is the deterministic key of one dump. day is the incident's
// creation time (so redeliveries on another day compute the same key).
func DumpKey(day time.Time, incident, site, instance, process string, pid int) string {
	return SeriesDumpKey(day, incident, site, instance, process, pid, 0)
}

// SeriesDumpKey is the key of dump index (from 1) of a series of one
// process; index 0 (no series) is DumpKey.
func SeriesDumpKey(day time.Time, incident, site, instance, process string, pid, index int) string {
	return "dumps/" + day.UTC().Format("2006-01-02") + "/" + Segment(incident) + "/" +
		Segment(site) + "/" + Segment(instance) + "/" + dumpName(process, pid, index) + ".dmp"
}

// dumpName is "{process}-{pid}", with ".{index}" for a dump of a series.
func dumpName(process string, pid, index int) string {
	n := Segment(strings.ToLower(process)) + "-" + strconv.Itoa(pid)
	if index > 0 {
		n += "." + strconv.Itoa(index)
	}
	return n
}

// DumpReportPrefix is the prefix of an incident's per-dump analyses.
func DumpReportPrefix(incident string) string {
	return "reports/" + Segment(incident) + "/dumps/"
}

// DumpReportKey is where the analyzer stores one dump's analysis (JSON).
func DumpReportKey(incident, site, instance, process string, pid int) string {
	return SeriesDumpReportKey(incident, site, instance, process, pid, 0)
}

// SeriesDumpReportKey is the analysis of dump index (from 1) of a series;
// index 0 (no series) is DumpReportKey.
func SeriesDumpReportKey(incident, site, instance, process string, pid, index int) string {
	return DumpReportPrefix(incident) + Segment(site) + "/" + Segment(instance) + "/" + dumpName(process, pid, index) + ".json"
}

// ReportKey is the incident report in one format: "html", "md" or "json".
func ReportKey(incident, format string) string {
	return "reports/" + Segment(incident) + "/index." + Segment(format)
}

// SiteLockKey is the lease key that serializes direct dumps of one site
// across workers (docs/kudu.md: one shared staging file per site).
func SiteLockKey(site string) string {
	return "locks/sites/" + Segment(strings.ToLower(site))
}
