package messages

import "strings"

// The shapes of ids, hashes and names that messages carry, checked byte by
// byte: validation runs on every Encode and Decode, and these are several
// times cheaper than the regular expressions they stand for (each comment
// gives it; shape_test.go checks the two agree).

func lowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func lowerHex(c byte) bool { return 'a' <= c && c <= 'f' || '0' <= c && c <= '9' }

// validID is the shape of incident ids, `^[a-z0-9][a-z0-9._-]{0,95}$`:
// lowercase, safe as a blob path segment and a queue message id.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 96 || !lowerAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !lowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validTraceParent is a W3C traceparent,
// `^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`.
func validTraceParent(s string) bool {
	if len(s) != 55 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 2, 35, 52:
			if s[i] != '-' {
				return false
			}
		default:
			if !lowerHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// validSHA256 is a hex SHA-256, `^[0-9a-f]{64}$`.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !lowerHex(s[i]) {
			return false
		}
	}
	return true
}

// validSiteName follows App Service's rules for app and slot names,
// `^[A-Za-z0-9][A-Za-z0-9-]{0,59}$`.
func validSiteName(s string) bool {
	if len(s) == 0 || len(s) > 60 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

// containsFoldASCII is strings.Contains(strings.ToLower(s), lower), for
// lower in lowercase ASCII, without the copy when s is ASCII (some
// non-ASCII letters lowercase to ASCII ones, such as 'İ' to 'i': those s
// take the long way). shape_test.go checks the two agree.
func containsFoldASCII(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lower)
		}
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for j < len(lower) {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}
