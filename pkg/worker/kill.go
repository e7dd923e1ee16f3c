package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// collectKill kills a target whose dump is stored, within the site's kill
// budget, and confirms it: the pid is gone from the instance's list, and the
// app's new w3wp pid is noted when one is seen. It never kills the SCM
// process. Failures are reported in the returned Kill, never as errors.
func (e *Engine) collectKill(ctx context.Context, job *messages.CaptureJob, t target) messages.Kill {
	site := job.Site
	log := e.cfg.Logger.With("site", site.Segment(), "instance", shortID(t.Instance), "pid", t.PID)
	if t.PID <= 0 || t.IsSCM {
		e.m.Kills.WithLabelValues("denied").Inc()
		return messages.Kill{Reason: "the SCM (Kudu) process is never killed"}
	}
	// Re-check the process just before killing: never kill something
	// that turned into the SCM process or is already gone.
	p, err := e.kudu.Process(ctx, site, t.Instance, t.PID)
	switch {
	case kindOf(err) == ErrorKindNotFound && err != nil:
		e.m.Kills.WithLabelValues("denied").Inc()
		return messages.Kill{Reason: "the process had already exited; not killed"}
	case err != nil:
		e.m.Kills.WithLabelValues("failed").Inc()
		return messages.Kill{Reason: "checking the process before killing it: " + reason(err)}
	case p.IsSCM || !strings.EqualFold(p.Name, t.Name):
		e.m.Kills.WithLabelValues("denied").Inc()
		return messages.Kill{Reason: fmt.Sprintf("pid %d is now %q, not the dumped %q; not killed", t.PID, p.Name, t.Name)}
	}
	if err := e.budget.take(ctx, site.Segment()); err != nil {
		var d *killDenied
		if errors.As(err, &d) {
			e.m.Kills.WithLabelValues("denied").Inc()
			log.Warn("kill denied by budget", "reason", d.reason)
			return messages.Kill{Reason: d.reason}
		}
		e.m.Kills.WithLabelValues("failed").Inc()
		return messages.Kill{Reason: "kill budget unavailable, not killed: " + err.Error()}
	}
	if err := e.recordKill(ctx, job.JobID, t); err != nil {
		e.m.Kills.WithLabelValues("denied").Inc()
		return messages.Kill{Reason: "not killed: " + err.Error()}
	}
	if err := e.kudu.Kill(ctx, site, t.Instance, t.PID); err != nil && kindOf(err) != ErrorKindNotFound {
		e.m.Kills.WithLabelValues("failed").Inc()
		return messages.Kill{Reason: "kill failed: " + reason(err)}
	}
	k, err := e.confirmKill(ctx, site, t)
	if err != nil {
		e.m.Kills.WithLabelValues("failed").Inc()
		return messages.Kill{Reason: err.Error()}
	}
	e.m.Kills.WithLabelValues("done").Inc()
	log.Info("process killed", "new_pid", k.NewPID)
	return k
}

// confirmKill polls the instance's processes until the pid is gone, then
// looks for the app's new w3wp.
func (e *Engine) confirmKill(ctx context.Context, site messages.Site, t target) (messages.Kill, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.KillConfirmTimeout)
	defer cancel()
	for {
		procs, err := e.kudu.Processes(ctx, site, t.Instance)
		if err == nil && !slices.ContainsFunc(procs, func(p Process) bool { return p.PID == t.PID }) {
			return messages.Kill{Done: true, NewPID: e.newW3WP(ctx, site, t, procs)}, nil
		}
		timer := time.NewTimer(e.cfg.KillConfirmPoll)
		select {
		case <-ctx.Done():
			timer.Stop()
			if err != nil {
				return messages.Kill{}, fmt.Errorf("kill sent but not confirmed: listing processes: %s", reason(err))
			}
			return messages.Kill{}, fmt.Errorf("kill sent but pid %d was still running after %s", t.PID, e.cfg.KillConfirmTimeout)
		case <-timer.C:
		}
	}
}

// newW3WP returns the pid of the app's w3wp (not SCM, not a webjob) other
// than the killed one, or 0 when none is seen yet.
func (e *Engine) newW3WP(ctx context.Context, site messages.Site, t target, procs []Process) int {
	for _, p := range procs {
		if p.PID <= 0 || p.PID == t.PID || !strings.EqualFold(p.Name, appProcessName) {
			continue
		}
		d, err := e.kudu.Process(ctx, site, t.Instance, p.PID)
		if err == nil && !d.IsSCM && !d.IsWebJob {
			return p.PID
		}
	}
	return 0
}
