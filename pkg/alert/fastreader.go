package alert

import (
	"unicode/utf8"
)

// fieldIs reports whether a plain ASCII key names the field whose JSON
// name is name: an exact or ASCII case-insensitive match, as encoding/json
// matches (non-ASCII keys never get here).
func fieldIs[K []byte | string](key []byte, name K) bool {
	if len(key) != len(name) {
		return false
	}
	for i, c := range key {
		n := name[i]
		if c == n {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= n && n <= 'Z' {
			n += 'a' - 'A'
		}
		if c != n {
			return false
		}
	}
	return true
}

// asciiFold reports whether two plain ASCII keys are equal but for case.
func asciiFold(a, b []byte) bool { return fieldIs(a, b) }

// fastReader reads the strict subset of JSON decodeCommonFast accepts.
// Every method returns false on input outside it.
type fastReader struct {
	data  []byte
	i     int
	depth int
}

// maxFastDepth bounds nesting (encoding/json allows 10000; deeper
// payloads take the slow path).
const maxFastDepth = 64

func (r *fastReader) space() {
	for r.i < len(r.data) && isSpace(r.data[r.i]) {
		r.i++
	}
}

// null consumes a null literal if one is next.
func (r *fastReader) null() bool {
	if len(r.data)-r.i >= 4 && string(r.data[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// object reads an object, calling member with each key (plain ASCII) with
// the reader at the value; member must consume it. A repeated key (in any
// case) is refused: encoding/json merges repeats in ways not copied here.
func (r *fastReader) object(member func(key []byte) bool) bool { return r.objectOf(true, member) }

// objectOf is object; with track unset, repeated keys are allowed (for
// values skipped whole).
func (r *fastReader) objectOf(track bool, member func(key []byte) bool) bool {
	if empty, ok := r.open('{', '}'); !ok || empty {
		return ok
	}
	var seen [64][]byte
	n := 0
	for {
		key, ok := r.plainBytes()
		if !ok {
			return false
		}
		for _, k := range key {
			if k >= utf8.RuneSelf {
				return false
			}
		}
		if track {
			for _, s := range seen[:n] {
				if asciiFold(s, key) {
					return false
				}
			}
			if n == len(seen) {
				return false
			}
			seen[n] = key
			n++
		}
		r.space()
		if r.i >= len(r.data) || r.data[r.i] != ':' {
			return false
		}
		r.i++
		r.space()
		if !member(key) {
			return false
		}
		if done, ok := r.next('}'); !ok || done {
			return ok
		}
	}
}

// array reads an array, calling elem with the reader at each element;
// elem must consume it.
func (r *fastReader) array(elem func() bool) bool {
	if empty, ok := r.open('[', ']'); !ok || empty {
		return ok
	}
	for {
		if !elem() {
			return false
		}
		if done, ok := r.next(']'); !ok || done {
			return ok
		}
	}
}

// open enters an object or array starting at the reader, reporting
// whether it is empty (and then already left).
func (r *fastReader) open(start, end byte) (empty, ok bool) {
	if r.i >= len(r.data) || r.data[r.i] != start {
		return false, false
	}
	if r.depth++; r.depth > maxFastDepth {
		return false, false
	}
	r.i++
	r.space()
	if r.i < len(r.data) && r.data[r.i] == end {
		r.i++
		r.depth--
		return true, true
	}
	return false, true
}

// next reads the separator after a member or element: a comma (more to
// come) or end, which leaves the object or array (done).
func (r *fastReader) next(end byte) (done, ok bool) {
	r.space()
	if r.i >= len(r.data) {
		return false, false
	}
	switch r.data[r.i] {
	case ',':
		r.i++
		r.space()
		return false, true
	case end:
		r.i++
		r.depth--
		return true, true
	}
	return false, false
}

// plainBytes reads a string without escapes or control characters, in
// valid UTF-8, and returns its contents (a slice of the input).
func (r *fastReader) plainBytes() ([]byte, bool) {
	if r.i >= len(r.data) || r.data[r.i] != '"' {
		return nil, false
	}
	start := r.i + 1
	ascii := true
	for j := start; j < len(r.data); j++ {
		c := r.data[j]
		switch {
		case c == '"':
			s := r.data[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			r.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (r *fastReader) plainString() (string, bool) {
	b, ok := r.plainBytes()
	return string(b), ok
}

// skip reads any valid JSON value (strings may hold escapes here).
func (r *fastReader) skip() bool {
	if r.i >= len(r.data) {
		return false
	}
	switch c := r.data[r.i]; {
	case c == '{':
		return r.objectOf(false, func([]byte) bool { return r.skip() })
	case c == '[':
		return r.array(r.skip)
	case c == '"':
		return r.skipString()
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	}
	return r.number()
}

func (r *fastReader) literal(lit string) bool {
	if len(r.data)-r.i >= len(lit) && string(r.data[r.i:r.i+len(lit)]) == lit {
		r.i += len(lit)
		return true
	}
	return false
}

// skipString reads a string, checking its escapes as encoding/json does
// (bytes at or above 0x80 are not checked: the scanner does not either).
func (r *fastReader) skipString() bool {
	for j := r.i + 1; j < len(r.data); j++ {
		switch c := r.data[j]; {
		case c == '"':
			r.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(r.data) {
				return false
			}
			switch r.data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.data) {
					return false
				}
				for _, h := range r.data[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *fastReader) number() bool {
	d, i := r.data, r.i
	digits := func() bool {
		start := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	r.i = i
	return true
}
