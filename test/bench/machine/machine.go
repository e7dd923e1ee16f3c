// Package machine reads what every benchmark program prints beside its
// figures (the load the machine was under, the CPU time a process used)
// and starts CPU profiles, so the bench programs measure alike.
package machine

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// LoadAverage is /proc/loadavg's first three fields ("1.02 0.87 0.66"), or
// "unknown" where it cannot be read.
func LoadAverage() string {
	f := loadFields()
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Load1 is the one-minute load average, or 0 where it cannot be read.
func Load1() float64 {
	f := loadFields()
	if len(f) < 1 {
		return 0
	}
	var l float64
	if _, err := fmt.Sscan(f[0], &l); err != nil {
		return 0
	}
	return l
}

func loadFields() []string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

// CPUTime is the CPU time (user + system) this process has used so far, 0
// where it cannot be read.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StartCPUProfile profiles this process's CPU into the file path. The
// returned stop ends the profile and closes the file; calling it again is
// harmless, so a caller may both defer it and stop early.
func StartCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			pprof.StopCPUProfile()
			f.Close()
		}
	}, nil
}
