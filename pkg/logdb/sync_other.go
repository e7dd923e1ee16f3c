//go:build !linux

package logdb

import "os"

func fdatasync(f *os.File) error { return f.Sync() }
