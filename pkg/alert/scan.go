package alert

import (
	"encoding/json"
	"strings"
)

// The functions in this file split JSON text into object members and
// array elements without decoding or copying anything, so that Parse can
// tell the payload's schema before the one full decode of its parser.
//
// They check structure only as far as they must to find where each value
// ends: strings (with their escapes), nesting, and the punctuation between
// members. They do not validate string contents, numbers or literals, nor
// that brackets pair by kind. Nothing they return may be trusted as valid
// JSON: callers route with it, and validate (json.Valid, or a decode with
// encoding/json, which validates first) before using any value.

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string literal starting at
// data[i] (a '"'), or -1 when it is not closed.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++ // the escaped byte cannot close the string
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at data[i], or -1
// when it does not end (an unclosed string, object or array, or no value).
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				if j = skipString(data, j); j < 0 {
					return -1
				}
				j-- // the loop's j++ lands after the string
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	case ',', ':', '}', ']':
		return -1
	}
	// A number or literal runs to the next delimiter.
	j := i
	for j < len(data) {
		c := data[j]
		if c == ',' || c == '}' || c == ']' || c == ':' || c == '"' || c == '{' || c == '[' || isSpace(c) {
			break
		}
		j++
	}
	return j
}

// eachMember calls fn with the key (still quoted, see keyIs) and the raw
// value of every member of the object in obj, in order, and reports
// whether obj is an object in structure, alone but for whitespace. When it
// returns false fn may have been called for some members.
func eachMember(obj []byte, fn func(key, val []byte)) bool {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return skipSpace(obj, i+1) == len(obj)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return false
		}
		ke := skipString(obj, i)
		if ke < 0 {
			return false
		}
		key := obj[i:ke]
		i = skipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipSpace(obj, i+1)
		ve := skipValue(obj, i)
		if ve < 0 {
			return false
		}
		fn(key, obj[i:ve])
		i = skipSpace(obj, ve)
		if i >= len(obj) {
			return false
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return skipSpace(obj, i+1) == len(obj)
		default:
			return false
		}
	}
}

// eachElement calls fn with every element of the array in arr, in order,
// and reports whether arr is an array in structure, alone but for
// whitespace.
func eachElement(arr []byte, fn func(val []byte)) bool {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return false
	}
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return skipSpace(arr, i+1) == len(arr)
	}
	for {
		ve := skipValue(arr, i)
		if ve < 0 {
			return false
		}
		fn(arr[i:ve])
		i = skipSpace(arr, ve)
		if i >= len(arr) {
			return false
		}
		switch arr[i] {
		case ',':
			i = skipSpace(arr, i+1)
		case ']':
			return skipSpace(arr, i+1) == len(arr)
		default:
			return false
		}
	}
}

// keyIs reports whether the quoted key, unescaped and lowercased with
// strings.ToLower, equals lower (as lowerKeys would key it). Plain ASCII
// keys are compared in place; others are unescaped first.
func keyIs(quoted []byte, lower string) bool {
	if len(quoted) < 2 {
		return false
	}
	k := quoted[1 : len(quoted)-1]
	plain := true
	for _, c := range k {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if !plain {
		var s string
		if json.Unmarshal(quoted, &s) != nil {
			return false
		}
		return strings.ToLower(s) == lower
	}
	if len(k) != len(lower) {
		return false
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// objectOrNull reports whether raw is a JSON object or null, as far as
// its first byte tells (which is exact for valid JSON): the values that
// decode into a map without error.
func objectOrNull(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '{' || raw[0] == 'n')
}

// hasKey reports whether the object in raw has a member whose key
// lowercases to one of lower. It is false when raw is not an object.
func hasKey(raw []byte, lower ...string) bool {
	found := false
	ok := eachMember(raw, func(key, _ []byte) {
		for _, l := range lower {
			if !found && keyIs(key, l) {
				found = true
			}
		}
	})
	return ok && found
}
