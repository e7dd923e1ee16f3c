package worker

import "testing"

func TestRetryJitterIsExplicit(t *testing.T) {
	for _, c := range []struct {
		name   string
		jitter float64
		want   float64
		valid  bool
	}{
		{"zero means the default", 0, DefaultJitter, true},
		{"NoJitter means none", NoJitter, 0, true},
		{"a factor is kept", 0.2, 0.2, true},
		{"another negative is refused", -0.3, -0.3, false},
		{"above one is refused", 1.5, 1.5, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Retry: RetryPolicy{Jitter: c.jitter}}.withDefaults()
			if cfg.Retry.Jitter != c.want {
				t.Errorf("Jitter %v became %v, want %v", c.jitter, cfg.Retry.Jitter, c.want)
			}
			if err := cfg.validate(); (err == nil) != c.valid {
				t.Errorf("validate: %v, want valid %v", err, c.valid)
			}
		})
	}
}

func TestZeroConfigTakesTheDefaultConstants(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Concurrency != DefaultConcurrency || c.StagedPerSite != DefaultStagedPerSite || c.MaxTargetsPerInstance != DefaultMaxTargetsPerInstance ||
		c.Retry.MaxAttempts != DefaultMaxAttempts || c.Retry.MaxElapsed != DefaultMaxElapsed ||
		c.MinBodyRate.Bytes != DefaultMinBodyBytes || c.KillBudget.CoolOff != DefaultKillCoolOff || c.LockTTL != DefaultLockTTL {
		t.Errorf("zero Config became %+v, not the Default… constants", c)
	}
	if err := c.validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}
