package sim

import (
	"archive/zip"
	"compress/flate"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// dumpKey identifies one generated dump: same key, same bytes.
type dumpKey struct {
	app, instance string
	pid, dumpType int
	size          int64
}

// maxDumpThreads bounds the threads written to a dump.
const maxDumpThreads = 48

// dumpSpec is the dump of process p for dumpType: deterministic per
// (seed, app, instance, pid, dumpType, size).
func (s *Server) dumpSpec(a *app, in *instance, p *process, dumpType int) dumpgen.Spec {
	flags := uint64(dumpType) | dumpgen.MiniDumpIgnoreInaccessibleMemory
	size := s.cfg.MiniDumpSize
	if flags&dumpgen.MiniDumpWithFullMemory != 0 {
		size = s.cfg.DumpSize
	}
	var threads []dumpgen.Thread
	for i, t := range p.threads {
		if i == maxDumpThreads {
			break
		}
		threads = append(threads, dumpgen.Thread{ID: uint32(t.id), RIP: t.rip})
	}
	return dumpgen.Spec{
		Flags: flags, Size: size, PID: uint32(p.pid), ProcessCreateTime: p.start,
		DumpTime: p.start.Add(2 * time.Hour), Threads: threads, Modules: p.modules,
		Seed: hash64(s.cfg.Seed, a.name, in.id, strconv.Itoa(p.pid), strconv.Itoa(dumpType)), StackSize: 8 << 10,
	}
}

// queryValue reads a query parameter by case-insensitive name, as Web API
// binds them.
func queryValue(r *http.Request, name string) (string, bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// parseFormat is Enum.Parse(typeof(DumpFormat), format, ignoreCase: true)
// followed by Kudu's raw/zip check.
func parseFormat(v string, present bool) (zipped bool, msg string) {
	if !present {
		return false, ""
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "raw", "0":
		return false, ""
	case "zip", "1":
		return true, ""
	case "":
		return false, "Must specify valid information for parsing in the string."
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err == nil {
		return false, fmt.Sprintf("Dump format (%d) is not supported.", n)
	}
	return false, fmt.Sprintf("Requested value '%s' was not found.", v)
}

// dump is GET /api/processes/{id}/dump (docs/kudu.md, "Direct dump").
func (s *Server) dump(k *kreq, p *process, _ string) {
	fv, fok := queryValue(k.r, "format")
	zipped, msg := parseFormat(fv, fok)
	if msg != "" {
		writeJSON(k.w, http.StatusBadRequest, kuduError{msg})
		return
	}
	dumpType := 0
	if v, ok := queryValue(k.r, "dumpType"); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			writeJSON(k.w, http.StatusBadRequest, kuduError{"The request is invalid."})
			return
		}
		dumpType = int(n)
	}
	if dumpType == 2 && strings.EqualFold(s.cfg.SKU, "Free") {
		writeJSON(k.w, http.StatusInternalServerError, kuduError{"Site sku (Free) does not support full minidump."})
		return
	}
	if dumpType < 0 || dumpType&^dumpgen.ValidTypeMask != 0 {
		writeJSON(k.w, http.StatusInternalServerError, kuduError{"The parameter is incorrect."})
		return
	}
	format := "raw"
	if zipped {
		format = "zip"
	}
	ev := Event{Kind: EventDump, App: k.a.name, Instance: k.in.id, PID: p.pid, Process: p.name, DumpType: dumpType, Format: format}
	d, err := dumpgen.New(s.dumpSpec(k.a, k.in, p, dumpType))
	if err != nil {
		ev.Status, ev.Detail = http.StatusInternalServerError, err.Error()
		s.log.add(ev)
		writeJSON(k.w, http.StatusInternalServerError, kuduError{err.Error()})
		return
	}
	ev.Size = d.Size()
	gen, ok := s.beginStage(k.a, d)
	if !ok {
		ev.Status, ev.Detail = http.StatusInternalServerError, "staging file busy"
		s.log.add(ev)
		writeJSON(k.w, http.StatusInternalServerError, kuduError{errStagingBusyMsg})
		return
	}
	// Nothing goes out until the dump is written.
	writeEnd := time.Now().Add(s.cfg.DumpWriteTime)
	written := time.NewTimer(s.cfg.DumpWriteTime)
	defer written.Stop()
	var limit <-chan time.Time
	if s.cfg.FirstByteLimit > 0 {
		t := time.NewTimer(s.cfg.FirstByteLimit)
		defer t.Stop()
		limit = t.C
	}
	select {
	case <-written.C:
	case <-limit:
		s.abandonStage(k.a, gen, writeEnd)
		ev.Status, ev.Detail = s.cfg.FirstByteStatus, "front-end first-byte limit"
		s.log.add(ev)
		k.w.Header().Set("Content-Length", "0")
		k.w.WriteHeader(s.cfg.FirstByteStatus)
		return
	case <-k.r.Context().Done():
		s.abandonStage(k.a, gen, writeEnd)
		ev.Detail = "client gone before the first byte"
		s.log.add(ev)
		return
	}
	s.openStage(k.a, gen)
	released := false
	release := func() {
		if !released {
			released = true
			s.endStage(k.a, gen)
		}
	}
	defer release()

	name := fmt.Sprintf("%s-%s-%s", p.name, k.in.id[:6], time.Now().UTC().Format("01-02-15-04-05"))
	bw := s.newBodyWriter(k.w, k.r, d.Size())
	ev.Status = http.StatusOK
	defer func() {
		ev.Bytes = bw.sent
		s.log.addHashed(ev, s.dumpSHA(dumpKey{ev.App, ev.Instance, ev.PID, ev.DumpType, d.Size()}, d))
	}()
	if !zipped {
		k.w.Header().Set("Content-Type", "application/octet-stream")
		k.w.Header().Set("Content-Disposition", "attachment; filename="+name+".dmp")
		k.w.Header().Set("Content-Length", strconv.FormatInt(d.Size(), 10))
		k.w.WriteHeader(http.StatusOK)
		n, err := d.WriteTo(bw)
		ev.Complete = err == nil && n == d.Size()
		if err != nil {
			ev.Detail = err.Error()
		}
		return
	}
	k.w.Header().Set("Content-Type", "application/zip")
	k.w.Header().Set("Content-Disposition", "attachment; filename="+name+".zip")
	k.w.WriteHeader(http.StatusOK)
	err = writeZip(bw, d, release)
	ev.Complete = err == nil
	if err != nil {
		ev.Detail = err.Error()
	}
}

// writeZip streams Kudu's zip: minidump.dmp (deleted from staging right
// after it was added), then Kudu's own sos.dll and mscordacwks.dll.
func writeZip(w io.Writer, d *dumpgen.Dump, added func()) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	modified := time.Now().UTC()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "minidump.dmp", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	if _, err := d.WriteTo(fw); err != nil {
		return err
	}
	added()
	for _, extra := range []string{"sos.dll", "mscordacwks.dll"} {
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: extra, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(ew, "MZ kudusim placeholder for Kudu's own "+extra); err != nil {
			return err
		}
	}
	return zw.Close()
}

// dumpSHA returns the SHA-256 (hex) of the dump d of key, computed on its
// first call and then remembered for every dump of that key.
//
// Serving a dump does not hash it: on a small machine hashing every byte
// served costs the simulator as much CPU as the worker's own hash, and the
// worker under test shares that CPU. A generated dump is a function of its
// key (dumpKey), so the hash of the bytes that were (or would have been)
// sent is the hash of generating them again, which the event log does only
// when someone reads the events (eventLog.addHashed).
func (s *Server) dumpSHA(key dumpKey, d *dumpgen.Dump) func() string {
	s.shaMu.Lock()
	defer s.shaMu.Unlock()
	sum, ok := s.shas[key]
	if !ok {
		sum = sync.OnceValue(func() string {
			b := d.SHA256()
			return hex.EncodeToString(b[:])
		})
		s.shas[key] = sum
	}
	return sum
}
