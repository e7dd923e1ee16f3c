package symbols

import (
	"bytes"
	"math"
)

var keywords = [][]byte{[]byte("FILE "), []byte("STACK "), []byte("FUNC "), []byte("PUBLIC "),
	[]byte("MODULE "), []byte("INFO "), []byte("INLINE_ORIGIN "), []byte("INLINE ")}

// isKeyword reports whether b starts with a record keyword; other lines are line records.
func isKeyword(b []byte) bool {
	if len(b) == 0 || b[0] < 'A' || b[0] > 'Z' { // line records start with a hex digit
		return false
	}
	for _, k := range keywords {
		if bytes.HasPrefix(b, k) {
			return true
		}
	}
	return false
}

// text is a record or field, as a string or as the bytes of the line being read.
type text interface{ ~string | ~[]byte }

// tokenize splits s like Breakpad's Tokenize: n-1 fields separated by runs of spaces, then
// the rest of the line (after exactly one space) as the last field, which may hold spaces.
// It fails unless there are exactly n fields, all non-empty.
func tokenize[T text](buf []T, s T, n int) ([]T, bool) {
	out := buf[:0]
	for len(out) < n-1 {
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		if len(s) == 0 {
			return nil, false
		}
		i := 0
		for i < len(s) && s[i] != ' ' {
			i++
		}
		out = append(out, s[:i])
		if i == len(s) {
			s = s[i:]
			break
		}
		s = s[i+1:]
	}
	if len(out) != n-1 || len(s) == 0 {
		return nil, false
	}
	return append(out, s), true
}

// hex parses a bare hexadecimal field (no sign, no 0x) of at most bits bits. Like
// Breakpad, all-ones 64-bit values are refused (strtoull's overflow result).
func hex[T text](s T, bits int) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		if v>>60 != 0 {
			return 0, false // overflow
		}
		v = v<<4 | uint64(d)
	}
	if (bits < 64 && v>>bits != 0) || v == math.MaxUint64 {
		return 0, false
	}
	return v, true
}

// dec parses a decimal field (optionally signed, as strtol reads it) into 32 bits, >= min.
func dec[T text](s T, min int64) (int32, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
		if v > 1<<31 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > math.MaxInt32 || v < min {
		return 0, false
	}
	return int32(v), true
}

// firstField returns s up to its first space: Breakpad accepts a number followed by
// whitespace and more text in a record's last field.
func firstField[T text](s T) T {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}
