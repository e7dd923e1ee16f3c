package dumpfacts

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// walkThreads fills a.Threads in ThreadList order, marks the crashing and
// dump-writer threads, walks every stack and sets the crash location.
func walkThreads(ctx context.Context, r *minidump.Reader, a *Analysis, ex *minidump.Exception, ix *moduleIndex,
	opts Options, syms *symbolCache, problem func(string, error)) error {
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
	images := newImageCache(r)
	deadline := time.Now().Add(opts.StackTime)
	shared := new(atomic.Int64)
	shared.Store(opts.StackBytes)

	// Frames per thread: MaxFrames, or an equal share of MaxTotalFrames
	// when the dump has many threads (the crashing thread keeps MaxFrames).
	share := opts.MaxFrames
	if n := len(threads); n > 0 && opts.MaxTotalFrames/n < share {
		share = max(opts.MaxTotalFrames/n, min(8, opts.MaxFrames))
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
			// The exception's context is where the fault happened; the
			// thread's own is inside the handler that wrote the dump.
			if ex.Context.DataSize > 0 {
				ctxLoc = ex.Context
			}
			if a.Crash != nil {
				i := i
				a.Crash.ThreadIndex = &i
			}
		}
		frames := share
		if out.Crashed {
			frames = opts.MaxFrames
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			stack, err := walkThread(gctx, r, t, ctxLoc, ix, images, syms, opts, frames, deadline, shared)
			out.Stack = stack
			out.Frames = make([]string, len(stack))
			for i, f := range stack {
				out.Frames[i] = f.Short()
			}
			if err != nil {
				out.Error = err.Error()
				out.Truncated = errors.Is(err, errTruncated)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if a.Crash != nil && a.Crash.ThreadIndex != nil {
		if f := a.Threads[*a.Crash.ThreadIndex].Stack; len(f) > 0 {
			a.Crash.Location = f[0].Short()
			if f[0].Function != "" {
				a.Crash.Symbol = f[0].String()
			}
		}
	}
	return nil
}

// errTruncated marks a walk cut by a bound (frames, stack bytes, time).
var errTruncated = errors.New("stack truncated")

// walkThread walks one thread's stack from the context at loc.
func walkThread(ctx context.Context, r *minidump.Reader, t minidump.Thread, loc minidump.Location, ix *moduleIndex,
	images *imageCache, syms *symbolCache, opts Options, maxFrames int, deadline time.Time, shared *atomic.Int64) ([]StackFrame, error) {
	c, err := r.ReadContext(loc)
	if err != nil {
		return []StackFrame{}, fmt.Errorf("context: %w", err)
	}
	w := &walker{arch: c.Arch(), ptr: c.Arch().PointerSize(), mem: newStackMemory(r, t, c.SP(), opts.ScanBytes, shared),
		mods: ix, syms: syms, max: maxFrames, deadline: deadline, ctx: ctx}
	if w.arch == minidump.ArchAMD64 {
		w.images = images
	}
	frames, more, outOfTime := w.walk(c)
	out := make([]StackFrame, len(frames))
	for i, f := range frames {
		out[i] = w.stackFrame(f, i)
	}
	if more && maxFrames < opts.MaxFrames {
		return out, fmt.Errorf("%w: %d frames shown, the stack goes deeper: with this many threads each gets a share of analysis.Options.MaxTotalFrames (%d)", errTruncated, len(out), opts.MaxTotalFrames)
	}
	if more {
		return out, fmt.Errorf("%w: %d frames shown, the stack goes deeper (analyzer analyze --frames N walks more)", errTruncated, len(out))
	}
	if w.mem.spent {
		return out, fmt.Errorf("%w: the walk stopped after %d frames when it had read %d KiB of stack, the per-thread bound (analysis.Options.ScanBytes), or the analysis's %d MiB for all threads (Options.StackBytes)",
			errTruncated, len(out), opts.ScanBytes>>10, opts.StackBytes>>20)
	}
	if outOfTime {
		return out, fmt.Errorf("%w: the walk stopped after %d frames when the analysis's stack time budget (%s, analysis.Options.StackTime) was spent; slow storage reads are the usual cause", errTruncated, len(out), opts.StackTime)
	}
	return out, nil
}
