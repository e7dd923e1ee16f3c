package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// namePattern is the shape of policy and schedule names (they name blob
// keys of limit state).
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// pattern matches strings by glob ('*' any run, '?' one character,
// case-insensitive) or, with the prefix "re:", by a Go regular expression
// (case-sensitive unless it says (?i)).
type pattern struct {
	src string
	re  *regexp.Regexp
}

func compilePattern(s string) (pattern, error) {
	if rest, ok := strings.CutPrefix(s, "re:"); ok {
		re, err := regexp.Compile(rest)
		if err != nil {
			return pattern{}, fmt.Errorf("regular expression %q: %w", rest, err)
		}
		return pattern{src: s, re: re}, nil
	}
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range s {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return pattern{src: s, re: regexp.MustCompile(b.String())}, nil
}

func (p pattern) match(s string) bool { return p.re.MatchString(s) }

func compilePatterns(field string, in []string) ([]pattern, error) {
	out := make([]pattern, 0, len(in))
	for i, s := range in {
		p, err := compilePattern(s)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func anyMatch(ps []pattern, s string) bool {
	for _, p := range ps {
		if p.match(s) {
			return true
		}
	}
	return false
}
