package sim

import (
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// Kudu stages every direct dump of an app in one file on the app's shared
// %HOME% volume: LogFiles\minidump\minidump.dmp (docs/kudu.md, "Direct
// dump"). staging is that file's life cycle.
const stagingPath = `LogFiles\minidump\minidump.dmp`

type stageState int

const (
	stageAbsent  stageState = iota
	stageWriting            // MiniDumpWriteDump holds it with share mode None
	stageOpen               // written; Kudu's response stream holds it (share Read)
)

type staging struct {
	state        stageState
	gen          int
	dump         *dumpgen.Dump
	ctime, mtime time.Time
}

// errStagingBusy is the IOException a second dump gets while the file is
// held: Kudu's delete-before-write is swallowed and FileMode.Create fails.
const errStagingBusyMsg = `The process cannot access the file 'D:\home\LogFiles\minidump\minidump.dmp' because it is being used by another process.`

// beginStage claims the app's staging file for a new dump. It fails when
// the file is held by another dump (writing or being streamed).
func (s *Server) beginStage(a *app, d *dumpgen.Dump) (gen int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &a.staging
	if st.state != stageAbsent {
		return 0, false
	}
	st.gen++
	now := time.Now().UTC()
	st.state, st.dump, st.ctime, st.mtime = stageWriting, d, now, now
	return st.gen, true
}

// openStage marks the write finished and the file held by the response.
func (s *Server) openStage(a *app, gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := &a.staging; st.gen == gen && st.state == stageWriting {
		st.state, st.mtime = stageOpen, time.Now().UTC()
	}
}

// endStage deletes the file (the response was disposed).
func (s *Server) endStage(a *app, gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := &a.staging; st.gen == gen {
		st.state, st.dump = stageAbsent, nil
	}
}

// abandonStage lets the write finish in the background after the client
// went away (Kudu's action has no cancellation): the file stays locked
// until the write time is over, then the disposed response deletes it.
func (s *Server) abandonStage(a *app, gen int, writeEnd time.Time) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(time.Until(writeEnd))
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
		}
		s.endStage(a, gen)
	}()
}
