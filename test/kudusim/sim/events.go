package sim

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Event kinds recorded by the simulator.
const (
	// EventDump is a direct dump response (GET …/dump): Complete when the
	// whole body was written, otherwise cut (reset fault, client gone,
	// front-end first-byte limit, staging conflict).
	EventDump = "dump"
	// EventStagedDump is a dump file written by the simulated dump tool
	// through the command API (Path is its VFS path).
	EventStagedDump = "staged-dump"
	// EventVFSRead is a VFS GET of a file body (Bytes sent, Offset of the
	// first byte, Complete when the range was fully sent).
	EventVFSRead = "vfs-read"
	// EventKill is a process killed by DELETE or POST /stop; Killed lists
	// every pid removed (children first).
	EventKill = "kill"
	// EventRespawn is a w3wp restarted after a kill.
	EventRespawn = "respawn"
	// EventScaleIn and EventScaleOut are instances removed or added.
	EventScaleIn  = "scale-in"
	EventScaleOut = "scale-out"
	// EventFault is an injected front-end fault (Detail names it).
	EventFault = "fault"
)

// Event is one recorded fact: the ground truth for chaos tests.
type Event struct {
	Seq      int       `json:"seq"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	App      string    `json:"app,omitempty"`
	Instance string    `json:"instance,omitempty"`
	PID      int       `json:"pid,omitempty"`
	Process  string    `json:"process,omitempty"`
	// DumpType is the requested MINIDUMP_TYPE (before Kudu ORs 0x20000).
	DumpType int    `json:"dump_type,omitempty"`
	Format   string `json:"format,omitempty"`
	// Size is the dump's full size; Bytes how many body bytes were sent.
	Size  int64 `json:"size,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
	// Offset is the first byte of a VFS range read.
	Offset int64 `json:"offset,omitempty"`
	// SHA256 (hex) of the complete dump. For cut dumps it is the hash of the
	// dump that would have been sent. It is computed (once per dump) when
	// the events are listed, not while the dump is served.
	SHA256   string `json:"sha256,omitempty"`
	Complete bool   `json:"complete"`
	Status   int    `json:"status,omitempty"`
	Path     string `json:"path,omitempty"`
	Killed   []int  `json:"killed,omitempty"`
	// Clone is set on a staged dump written from a clone (procdump -r).
	Clone bool `json:"clone,omitempty"`
	// Pause is how long the target process was suspended by a staged
	// dump: the whole write, or only the cloning with -r.
	Pause time.Duration `json:"pause_ns,omitempty"`
	// CloneBytes bounds the extra memory a clone can cost: the target's
	// private bytes (pages the app changes while the clone is written are
	// copied; at worst all of them).
	CloneBytes int64  `json:"clone_bytes,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

type eventLog struct {
	mu     sync.Mutex
	events []Event
	// sums fill in the SHA256 of the events at these indexes when the
	// events are first listed (see Server.dumpSHA for why not before).
	sums map[int]func() string
}

func (l *eventLog) add(e Event) { l.addHashed(e, nil) }

// addHashed records e; sum, when not nil, gives e's SHA256 on demand.
func (l *eventLog) addHashed(e Event, sum func() string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq = len(l.events) + 1
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	l.events = append(l.events, e)
	if sum != nil {
		if l.sums == nil {
			l.sums = map[int]func() string{}
		}
		l.sums[len(l.events)-1] = sum
	}
}

// list returns a copy of the events, every SHA256 filled in. Hashes are
// computed outside the lock, so recording goes on while they are.
func (l *eventLog) list() []Event {
	l.mu.Lock()
	out := slices.Clone(l.events)
	sums := maps.Clone(l.sums)
	l.mu.Unlock()
	if len(sums) == 0 {
		return out
	}
	for i, sum := range sums {
		out[i].SHA256 = sum()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range sums {
		if _, ok := l.sums[i]; ok {
			l.events[i].SHA256 = out[i].SHA256
			delete(l.sums, i)
		}
	}
	return out
}
