package analysis

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// scanThreads fills a.Threads in ThreadList order, marks the crashing and
// dump-writer threads, and sets the crash location.
func scanThreads(ctx context.Context, r *minidump.Reader, a *Analysis, ex *minidump.Exception, ix *moduleIndex,
	opts Options, problem func(string, error)) error {
	threads, err := r.Threads()
	problem("thread list", err)
	names, err := r.ThreadNames()
	problem("thread names", err)
	var writer uint32
	var hasWriter bool
	if bi, err := r.BreakpadInfo(); err == nil && bi.Validity&minidump.BreakpadDumpThreadValid != 0 {
		writer, hasWriter = bi.DumpThreadID, true
	} else {
		problem("breakpad info", err)
	}
	cpu := map[uint32]float64{}
	infos, err := r.ThreadInfos()
	problem("thread info list", err)
	for _, ti := range infos {
		cpu[ti.ThreadID] = float64(ti.UserTime+ti.KernelTime) / 1e7 // 100 ns units
	}
	ptr := 8
	if si, err := r.SystemInfo(); err == nil {
		ptr = si.ProcessorArchitecture.PointerSize()
	}

	a.Threads = make([]Thread, len(threads))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for i, t := range threads {
		out := &a.Threads[i]
		out.ID, out.Name = t.ID, names[t.ID]
		out.DumpWriter = hasWriter && t.ID == writer
		if s, ok := cpu[t.ID]; ok {
			out.CPUSeconds = &s
		}
		ctxLoc := t.Context
		if ex != nil && ex.ThreadID == t.ID {
			out.Crashed = true
			if ex.Context.DataSize > 0 {
				ctxLoc = ex.Context
			}
			if a.Crash != nil {
				i := i
				a.Crash.ThreadIndex = &i
			}
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			frames, err := scanThread(r, t, ctxLoc, ix, ptr, opts)
			out.Frames = frames
			if err != nil {
				out.Error = err.Error()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if a.Crash != nil && a.Crash.ThreadIndex != nil {
		if f := a.Threads[*a.Crash.ThreadIndex].Frames; len(f) > 0 {
			a.Crash.Location = f[0]
		}
	}
	return nil
}

// scanThread returns the instruction pointer and then every stack word
// from the stack pointer up that points into a module.
func scanThread(r *minidump.Reader, t minidump.Thread, loc minidump.Location, ix *moduleIndex, ptr int, opts Options) ([]string, error) {
	frames := []string{}
	c, err := r.ReadContext(loc)
	if err != nil {
		return frames, fmt.Errorf("context: %w", err)
	}
	frames = append(frames, ix.symbol(c.PC()))
	sp := c.SP()
	buf := make([]byte, opts.ScanBytes)
	n, err := readStack(r, t, sp, buf)
	if err != nil {
		return frames, fmt.Errorf("stack at %#x: %w", sp, err)
	}
	buf = buf[:n]
	for off := 0; off+ptr <= len(buf) && len(frames) < opts.MaxFrames; off += ptr {
		var w uint64
		if ptr == 4 {
			w = uint64(le32(buf[off:]))
		} else {
			w = le64(buf[off:])
		}
		// The first page of an image holds its headers, not code: words
		// there are module handles (HMODULE). Page-aligned words are
		// section or data addresses, not return addresses.
		if m := ix.find(w); m != nil && w-m.BaseOfImage >= 0x1000 && w&0xfff != 0 {
			frames = append(frames, ix.symbol(w))
		}
	}
	return frames, nil
}

// readStack reads stack memory at sp: from the thread's own stack range
// when it covers sp, else from any captured range. A descriptor with RVA 0
// has no bytes of its own (Firefox's crash reporter writes such threads and
// keeps their stacks only in the memory list); like Breakpad's processor,
// read the memory list then instead of the file header at offset 0.
func readStack(r *minidump.Reader, t minidump.Thread, sp uint64, buf []byte) (int, error) {
	st := t.Stack
	if size := uint64(st.Memory.DataSize); size > 0 && st.Memory.Rva != 0 && sp >= st.StartOfMemoryRange && sp-st.StartOfMemoryRange < size {
		rel := sp - st.StartOfMemoryRange
		n := min(uint64(len(buf)), size-rel)
		sec := r.StreamReader(minidump.Directory{Location: st.Memory})
		k, err := sec.ReadAt(buf[:n], int64(rel))
		if err != nil && uint64(k) != n {
			return k, err
		}
		return k, nil
	}
	n, err := r.ReadMemory(sp, buf)
	if errors.Is(err, minidump.ErrNoMemory) {
		return 0, nil // a stack not captured is not an error of the dump
	}
	return n, err
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
