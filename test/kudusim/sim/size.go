package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize parses a byte size: a whole number with an optional unit B,
// KiB, MiB, GiB or TiB (also KB/MB/GB/TB and K/M/G/T, all binary
// multiples), e.g. "64MiB" or "1GiB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("kudusim: size %q: want a number with an optional unit (KiB, MiB, GiB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("kudusim: size %q: %w", s, err)
	}
	var mult int64
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	case "t", "tb", "tib":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("kudusim: size %q: unknown unit %q (use KiB, MiB, GiB)", s, t[i:])
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("kudusim: size %q is too large", s)
	}
	return n * mult, nil
}
