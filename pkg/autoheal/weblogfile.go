package autoheal

import (
	"context"
	"strings"
	"time"
)

// logFile is one log file: its tail and the instance it belongs to.
type logFile struct {
	name  string
	tail  w3cTail
	owner string // machine name, learned from the ARRAffinity cookies logged in it
	// ownerSure is set when the owner comes from a pinned Kudu request.
	ownerSure bool
	// named is set when its lines name their machine (s-computername).
	named   bool
	pending []w3cEntry
	dropped int
	warned  string // the missing fields last warned about
}

// readFile reads one file's new bytes and observes its requests. Files are
// read by one goroutine each per poll, so a file's state is not shared
// while it is read.
func (w *WebLogs) readFile(ctx context.Context, site string, s *siteLogs, ids []string, reader string, info LogFileInfo, obs Observer, now time.Time) {
	k := strings.ToLower(info.Name)
	w.mu.Lock()
	f := s.files[k]
	if f == nil {
		f = &logFile{name: info.Name}
		s.files[k] = f
	}
	w.mu.Unlock()
	if info.Size < f.tail.off {
		w.Log.Info("web logs: file shrank; reading it again from the start", "site", site, "file", info.Name, "size", info.Size, "read", f.tail.off)
		f.tail.restart()
	}
	if info.Size == f.tail.off {
		return
	}
	data, size, err := w.Reader.ReadLog(ctx, site, reader, info, f.tail.off, w.MaxRead)
	if err != nil {
		w.Log.Warn("web logs: reading a log file failed", "site", site, "file", info.Name, "offset", f.tail.off, "err", err)
		return
	}
	if len(data) == 0 {
		if size >= 0 && size < f.tail.off {
			f.tail.restart() // truncated between the listing and the read (416)
		}
		return
	}
	var entries []w3cEntry
	f.tail.feed(data, func(e w3cEntry) { entries = append(entries, e) })
	if miss := strings.Join(f.tail.parser.missing(), " "); miss != f.warned {
		f.warned = miss
		if miss != "" {
			w.Log.Warn("web logs: the log's #Fields lack fields the request rules read; triggers that need them cannot match (add them to the site's logging, or rely on metrics)",
				"site", site, "file", info.Name, "missing", miss)
		}
	}
	w.attribute(site, s, ids, f, entries, obs, now)
}

// attribute gives each request to the instance that served it: the
// s-computername field when logged; the only instance of a one-instance
// site; otherwise the file's owner, learned from the ARRAffinity cookie of
// Kudu's own (pinned) requests in it, or until one is logged, from the
// affinity cookie of the app's clients. Requests to Kudu's site are not the
// app's and are never counted. Requests of a file not attributed yet are
// held, at most MaxPending.
func (w *WebLogs) attribute(site string, s *siteLogs, ids []string, f *logFile, entries []w3cEntry, obs Observer, now time.Time) {
	w.mu.Lock()
	machines := make(map[string]string, len(s.machines))
	for id, m := range s.machines {
		machines[strings.ToLower(id)] = m
	}
	w.mu.Unlock()
	current := map[string]bool{}
	for _, id := range ids {
		current[strings.ToLower(id)] = true
	}
	for _, e := range entries {
		f.named = f.named || e.Computer != ""
		m := machines[strings.ToLower(e.Affinity)]
		if e.Affinity == "" || m == "" || !current[strings.ToLower(e.Affinity)] {
			continue
		}
		switch {
		case e.SCM:
			// A pinned Kudu request (dumpflow's own, whose answer the
			// client checked came from that instance): certain.
			f.owner, f.ownerSure = m, true
		case f.owner == "":
			// A client's affinity cookie: the front end routes to the
			// instance it names while it exists (docs/kudu.md, Pinning).
			f.owner = m
		}
	}
	if f.owner == "" && len(ids) == 1 {
		f.owner = machines[strings.ToLower(ids[0])]
	}
	cut := now.Add(-w.Keep)
	w.mu.Lock()
	if since := s.since.Add(-time.Nanosecond); since.After(cut) {
		cut = since // the metrics' part (Handover)
	}
	w.mu.Unlock()
	byInst := map[string][]Request{}
	add := func(e w3cEntry) bool {
		if e.SCM || !e.At.After(cut) {
			return true
		}
		inst := e.Computer
		if inst == "" {
			inst = f.owner
		}
		if inst == "" {
			return false
		}
		byInst[inst] = append(byInst[inst], e.Request)
		return true
	}
	held := f.pending
	f.pending = nil
	for _, e := range append(held, entries...) {
		if !add(e) {
			f.pending = append(f.pending, e)
		}
	}
	if over := len(f.pending) - w.MaxPending; over > 0 {
		f.pending = append([]w3cEntry(nil), f.pending[over:]...)
		if f.dropped == 0 {
			w.Log.Warn("web logs: cannot tell which instance writes this file (no s-computername field, no ARRAffinity cookie of a current instance in it yet); dropping its oldest held requests",
				"site", site, "file", f.name, "held", w.MaxPending)
		}
		f.dropped += over
	}
	for inst, rs := range byInst {
		obs.ObserveRequests(site, inst, rs...)
	}
}
