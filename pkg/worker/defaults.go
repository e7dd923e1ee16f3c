package worker

import "time"

// Defaults of Config: the zero value of each field means the constant
// named here, and the worker's flags show the same constants.
const (
	DefaultConcurrency           = 4
	DefaultListConcurrency       = 8
	DefaultStagedPerSite         = 4
	DefaultMaxTargetsPerInstance = 5

	DefaultMinBodyBytes  = 1 << 20
	DefaultMinBodyWindow = time.Minute

	DefaultMaxAttempts     = 4
	DefaultInitialInterval = time.Second
	DefaultMaxInterval     = 30 * time.Second
	DefaultMaxElapsed      = 15 * time.Minute
	// DefaultJitter is the retry interval's randomization factor when
	// RetryPolicy.Jitter is zero.
	DefaultJitter = 0.5
	// NoJitter as RetryPolicy.Jitter retries at the computed intervals,
	// without randomization.
	NoJitter = -1.0

	DefaultLockTTL     = 30 * time.Second
	DefaultLockPollMin = 100 * time.Millisecond
	DefaultLockPollMax = 2 * time.Second

	DefaultKillMax     = 2
	DefaultKillWindow  = time.Hour
	DefaultKillCoolOff = 3 * time.Hour

	DefaultKillConfirmTimeout = 30 * time.Second
	DefaultKillConfirmPoll    = time.Second
)
