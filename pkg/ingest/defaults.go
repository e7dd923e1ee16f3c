package ingest

import "time"

// Defaults of Config: the zero value of each field means the constant
// named here, and `ingest serve`'s flags show the same constants.
const (
	DefaultMaxBodyBytes  = 1 << 20
	DefaultRatePerSecond = 20.0
	DefaultRateBurst     = 40
	DefaultMaxSites      = 100
	DefaultResendWindow  = 10 * time.Minute
	// NoRateLimit as Config.RatePerSecond turns the per-client rate limit
	// off (any negative rate does).
	NoRateLimit = -1.0
)
