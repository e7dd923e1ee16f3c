package autoheal

import "bytes"

// maxW3CLine bounds one log line kept across reads (a partial last line).
// IIS truncates long fields, so real lines are far shorter; a longer one
// is dropped whole rather than held.
const maxW3CLine = 64 << 10

// w3cTail is the tail state of one log file: how far it has been read, the
// partial last line held for the next read, and the field layout in force
// at that offset. Memory is bounded by maxW3CLine plus what the caller
// reads at once.
type w3cTail struct {
	off     int64
	partial []byte
	// skipping is set while the rest of an overlong line is discarded.
	skipping bool
	parser   w3cParser
}

// restart reads the file again from its start: it was truncated or
// replaced (its size fell below what was read).
func (t *w3cTail) restart() {
	t.off, t.partial, t.skipping = 0, nil, false
	t.parser.reset()
}

// feed takes the bytes read at t.off and returns the complete request
// lines they finish, in file order. An unfinished last line is kept for
// the next feed, so a line cut by the read boundary (or still being
// written) is parsed once, whole.
func (t *w3cTail) feed(data []byte, each func(w3cEntry)) {
	t.off += int64(len(data))
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if t.skipping {
				return
			}
			if len(t.partial)+len(data) > maxW3CLine {
				t.partial, t.skipping = nil, true
				return
			}
			t.partial = append(t.partial, data...)
			return
		}
		line := data[:i]
		data = data[i+1:]
		if t.skipping {
			t.skipping = false
			continue
		}
		if len(t.partial)+len(line) > maxW3CLine {
			t.partial = nil
			continue
		}
		if len(t.partial) > 0 {
			line = append(t.partial, line...)
			t.partial = nil
		}
		if e, ok := t.parser.line(line); ok {
			each(e)
		}
	}
	if len(t.partial) == 0 {
		t.partial = nil // release the buffer between reads
	}
}
