package main

import (
	"crypto/sha256"
	"os"
	"strings"
	"syscall"
	"time"
)

// loadAverage is /proc/loadavg's first three fields ("1.02 0.87 0.66"), or
// "unknown": every figure is printed next to the load it was measured under.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// selfCPU is the CPU time (user + system) this process has used so far: in
// the stream bench, the simulator's, since the bench itself only waits
// while a child copies.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sha256Seconds is how long one core takes to hash one GiB (SHA-256, what
// the worker must compute of every dump), measured on 512 MiB.
func sha256Seconds() float64 {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	h := sha256.New()
	start := time.Now()
	for range 512 {
		h.Write(buf)
	}
	return time.Since(start).Seconds() * 2
}
