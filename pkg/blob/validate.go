package blob

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ReservedPrefix is the key namespace backends keep for themselves (temporary
// files, lease records, lock blobs). ValidateKey rejects keys under it and
// List never returns them.
const ReservedPrefix = ".dumpflow/"

// MaxMetadataKeyLength bounds the length of one metadata key.
const MaxMetadataKeyLength = 128

// ValidateKey reports whether key is a valid blob or lease key, returning an
// error wrapping ErrInvalidKey that names the problem when it is not.
//
// A valid key is valid UTF-8, non-empty, at most MaxKeyLength bytes, does
// not start with '/', and has no empty, "." or ".." segment (so "a//b" and
// "a/" are invalid). It contains no control characters and no '\'. Keys in
// ReservedPrefix are invalid.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, truncate(key), why)
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > MaxKeyLength:
		return bad(fmt.Sprintf("%d bytes, more than %d", len(key), MaxKeyLength))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("leading '/'")
	case strings.HasPrefix(key, ReservedPrefix) || key == strings.TrimSuffix(ReservedPrefix, "/"):
		return bad("in the reserved namespace " + ReservedPrefix)
	}
	for _, r := range key {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return bad(fmt.Sprintf("control character %U", r))
		case r == '\\':
			return bad("contains '\\'")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return bad("empty path segment")
		case ".", "..":
			return bad(fmt.Sprintf("path segment %q", seg))
		}
	}
	return nil
}

// ValidateMetadata reports whether md follows the port's metadata rules,
// returning an error wrapping ErrInvalidMetadata that names the offending
// key when it does not. A nil or empty map is valid.
//
// Keys are 1..MaxMetadataKeyLength bytes of lowercase ASCII letters, digits
// and '_', and do not start with a digit (C# identifier rules, as Azure
// requires). Values are printable ASCII (0x20-0x7e) without leading or
// trailing spaces, because they travel as HTTP header values. There are at
// most MaxMetadataKeys entries, and keys plus values total at most
// MaxMetadataSize bytes.
func ValidateMetadata(md map[string]string) error {
	if len(md) > MaxMetadataKeys {
		return fmt.Errorf("%w: %d keys, more than %d", ErrInvalidMetadata, len(md), MaxMetadataKeys)
	}
	total := 0
	for k, v := range md {
		if err := validateMetadataKey(k); err != nil {
			return err
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c > 0x7e {
				return fmt.Errorf("%w: value of %q: byte 0x%02x at %d is not printable ASCII", ErrInvalidMetadata, k, c, i)
			}
		}
		if strings.TrimSpace(v) != v {
			return fmt.Errorf("%w: value of %q has leading or trailing spaces", ErrInvalidMetadata, k)
		}
		total += len(k) + len(v)
	}
	if total > MaxMetadataSize {
		return fmt.Errorf("%w: %d bytes in all, more than %d", ErrInvalidMetadata, total, MaxMetadataSize)
	}
	return nil
}

func validateMetadataKey(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidMetadata)
	}
	if len(k) > MaxMetadataKeyLength {
		return fmt.Errorf("%w: key %q: %d bytes, more than %d", ErrInvalidMetadata, truncate(k), len(k), MaxMetadataKeyLength)
	}
	if c := k[0]; c >= '0' && c <= '9' {
		return fmt.Errorf("%w: key %q starts with a digit", ErrInvalidMetadata, k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: key %q: byte %q at %d is not a lowercase letter, digit or '_'", ErrInvalidMetadata, truncate(k), c, i)
		}
	}
	return nil
}

// truncate shortens s for use in an error message.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// ErrInvalidLeaseTTL means a lease TTL outside [MinLeaseTTL, MaxLeaseTTL].
var ErrInvalidLeaseTTL = errors.New("blob: invalid lease TTL")

// ValidateLeaseTTL reports whether ttl is within [MinLeaseTTL, MaxLeaseTTL],
// returning an error wrapping ErrInvalidLeaseTTL when it is not.
func ValidateLeaseTTL(ttl time.Duration) error {
	if ttl < MinLeaseTTL || ttl > MaxLeaseTTL {
		return fmt.Errorf("%w: %v, want between %v and %v", ErrInvalidLeaseTTL, ttl, MinLeaseTTL, MaxLeaseTTL)
	}
	return nil
}

// ValidateWriter checks the arguments of Bucket.NewWriter as every backend
// must (the key, the metadata, a non-negative Size) and returns the
// options, the zero options for nil.
func ValidateWriter(key string, opts *WriterOptions) (*WriterOptions, error) {
	if opts == nil {
		opts = &WriterOptions{}
	}
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ValidateMetadata(opts.Metadata); err != nil {
		return nil, err
	}
	if opts.Size < 0 {
		return nil, fmt.Errorf("blob: negative WriterOptions.Size %d", opts.Size)
	}
	return opts, nil
}
